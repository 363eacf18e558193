import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type WorkflowEnv, startWorkflowEnv } from '../support/workflow-env.js';
import { passing } from '../support/workflow-history.js';

/**
 * Checks that mean what they say, on real parts: a project without a machine-readable report has
 * its tests counted by the runner's own summary, or said to be uncounted, never counted as 0.
 */
let wf: WorkflowEnv;
beforeAll(async () => {
  wf = await startWorkflowEnv('counts');
});
afterAll(() => wf?.close());

async function reasons(subtaskId: string): Promise<string[]> {
  const rows = await wf.prisma.checkRun.findMany({
    where: { subtaskId },
    orderBy: [{ startedAt: 'asc' }, { id: 'asc' }],
  });
  return rows.map((row) => row.reason);
}

describe('without a test report', () => {
  test("the baseline and the checks count the tests by the runner's own summary (node --test's)", async () => {
    wf.script(passing('70-1', 'green'));
    const subtask = await wf.start(await wf.project({}, { withoutReport: true }), { key: '70-1' });
    expect(await subtask.handle.result()).toMatchObject({ status: 'completed' });
    const log = await wf.events(subtask);
    expect(log.find((event) => event.kind === 'check.baseline')!.message).toBe(
      "baseline on main: 2 test(s) pass (from node --test's summary)",
    );
    expect(log.find((event) => event.kind === 'check.passed')!.message).toBe(
      "green check passed: the suites pass: `npm test`: 2 passed, 0 failed (from node --test's summary)",
    );
    expect(await reasons(subtask.subtaskId)).toEqual([
      "baseline: 2 test(s) pass (from node --test's summary)",
      "the suites pass: `npm test`: 2 passed, 0 failed (from node --test's summary)",
    ]);
  });

  test('a command that prints no count passes by its exit code, its tests not counted (not 0)', async () => {
    wf.script(passing('70-2', 'green'));
    const project = await wf.project({}, { withoutReport: true, testCommand: 'node --version' });
    const subtask = await wf.start(project, { key: '70-2' });
    expect(await subtask.handle.result()).toMatchObject({ status: 'completed' });
    const log = await wf.events(subtask);
    expect(log.find((event) => event.kind === 'check.baseline')!.message).toBe(
      'baseline on main: `node --version` passed (exit code 0), tests not counted',
    );
    expect(await reasons(subtask.subtaskId)).toEqual([
      'baseline: `node --version` passed (exit code 0), tests not counted',
      // The agent wrote nothing the command reads differently: the baseline's run on the same files is reused.
      expect.stringMatching(
        /^the suites pass: `node --version` passed \(exit code 0\), tests not counted \(not run again, the same files were tested: unit: the result of the baseline at \d\d:\d\d:\d\d UTC\)$/,
      ),
    ]);
  });
});
