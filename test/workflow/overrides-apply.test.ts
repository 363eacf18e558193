import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { git } from '../../git/git.js';
import { type StartedSubtask, type WorkflowEnv, startWorkflowEnv } from '../support/workflow-env.js';
import { GREEN_REFACTOR } from '../support/workflow-env-settings.js';
import {
  activities,
  agentRuns,
  decide,
  failing,
  held,
  outcomeOf,
  override,
  passing,
  positionOf,
  recordHistory,
  settled,
} from '../support/workflow-history.js';
import { SLOW_TEST_FILES, processesIn, slowAgent } from '../support/slow-check.js';
import { eventually } from '../support/maestro-process.js';

/**
 * What each accepted override does where it applies: during an agent run, during a check, while
 * blocked (after failed attempts, on a cancelled dependency, on a failed setup), while waiting.
 */
let wf: WorkflowEnv;
beforeAll(async () => {
  wf = await startWorkflowEnv('apply');
});
afterAll(() => wf?.close());

const NOT_POSSIBLE = 'OverrideNotPossible';
const phasesRun = async (subtask: StartedSubtask) =>
  (await agentRuns(subtask.handle)).map((activity) => [activity.input.phase, activity.end]);
const inFlight = (key: string, phase: string) =>
  eventually(
    () =>
      wf.scripted.requests.some(
        (request) => request.key === key && request.phase === phase && request.status === undefined,
      ),
    30_000,
    `a model call of ${key} in ${phase}`,
  );
const blockedIn = (subtask: StartedSubtask) =>
  wf.waitFor(subtask, (state) => state.status === 'blocked', 'a person to be asked');
const kinds = async (subtask: StartedSubtask) => (await wf.events(subtask)).map((event) => event.kind);

describe('during an agent run', () => {
  test.each([
    { action: 'force_complete', key: '20-1', status: 'completed', merges: 1 },
    { action: 'cancel', key: '20-2', status: 'cancelled', merges: 0 },
  ] as const)('$action stops the agent and ends the subtask $status', async ({ action, key, status, merges }) => {
    wf.script(held(key, 'green', 'never'));
    const subtask = await wf.start(await wf.project(), { key });
    await inFlight(key, 'green');
    await override({ action, reason: 'decided by a person' })(subtask.handle);
    const outcome = await outcomeOf(subtask.handle);
    expect(outcome.status).toBe(status);
    expect(outcome.shas.green).toBeUndefined();
    expect(await phasesRun(subtask)).toEqual([['green', 'cancelled']]);
    expect((await activities(subtask.handle, 'mergeBranch')).length).toBe(merges);
    expect(await kinds(subtask)).toContain(`override.${action}`);
    if (action === 'cancel') await recordHistory(subtask.handle, 'cancel-override-ends-cancelled');
  });

  test('cancelled from Temporal (its UI or CLI), it ends like the cancel override: the agent stopped, the log written once', async () => {
    wf.script(held('20-5', 'green', 'never'));
    const subtask = await wf.start(await wf.project(), { key: '20-5' });
    await inFlight('20-5', 'green');
    await subtask.handle.cancel();
    // Temporal shows it cancelled too (outcomeOf checks), not completed.
    expect(await outcomeOf(subtask.handle)).toMatchObject({ status: 'cancelled' });
    await expect(subtask.handle.result()).rejects.toMatchObject({ cause: { name: 'CancelledFailure' } });
    expect(await phasesRun(subtask)).toEqual([['green', 'cancelled']]);
    expect(
      (await wf.events(subtask)).filter((event) => event.kind === 'subtask.cancelled').map((event) => event.actor),
    ).toEqual(['system']);
    expect((await wf.prisma.subtask.findUniqueOrThrow({ where: { workflowId: subtask.workflowId } })).status).toBe(
      'cancelled',
    );
    await recordHistory(subtask.handle, 'temporal-cancel-ends-cancelled');
  });

  test('reset goes back to an earlier phase: its work and what came after are done again', async () => {
    wf.script(held('20-3', 'refactor', 'gate-20-3'), passing('20-3', 'green'));
    const subtask = await wf.start(await wf.project(), { key: '20-3', phases: GREEN_REFACTOR });
    await inFlight('20-3', 'refactor');
    const firstGreen = (await wf.state(subtask)).shas.green!;
    await override({ action: 'reset', phase: 'green', reason: 'green again, differently' })(subtask.handle);
    await eventually(
      async () => (await agentRuns(subtask.handle))[1]?.end === 'cancelled',
      30_000,
      'the refactor agent to stop',
    );
    wf.scripted.openGate('gate-20-3');
    const outcome = await subtask.handle.result();
    expect(outcome.status).toBe('completed');
    expect(await phasesRun(subtask)).toEqual([
      ['green', 'completed'],
      ['refactor', 'cancelled'],
      ['green', 'completed'],
      ['refactor', 'completed'],
    ]);
    // Green starts again where it started the first time, and commits anew.
    const greens = (await agentRuns(subtask.handle)).filter((activity) => activity.input.phase === 'green');
    expect(greens[1]!.input.startSha).toBe(greens[0]!.input.startSha);
    expect(outcome.shas.green).not.toBe(firstGreen);
    expect(
      await git(subtask.project.repoPath, ['merge-base', '--is-ancestor', outcome.shas.green!, 'main']).then(
        () => true,
      ),
    ).toBe(true);
  });

  test('pause lets the running agent finish, then holds the next step until resume', async () => {
    wf.script(held('20-4', 'green', 'gate-20-4'));
    const subtask = await wf.start(await wf.project(), { key: '20-4' });
    await inFlight('20-4', 'green');
    await override({ action: 'pause', reason: 'hold on a moment' })(subtask.handle);
    wf.scripted.openGate('gate-20-4');
    await eventually(async () => (await kinds(subtask)).includes('check.passed'), 30_000, 'green to pass');
    await settled(subtask.handle);
    expect(await wf.state(subtask)).toMatchObject({
      paused: true,
      phase: 'green',
      shas: { green: expect.any(String) },
    });
    expect(await activities(subtask.handle, 'mergeBranch')).toEqual([]);

    await override({ action: 'resume' })(subtask.handle);
    expect(await subtask.handle.result()).toMatchObject({ status: 'completed' });
    expect(await positionOf(subtask.handle, { activity: 'mergeBranch' })).toBeGreaterThan(
      await positionOf(subtask.handle, { override: 'resume' }),
    );
  });
});

describe('during a check', () => {
  test.each([
    { action: 'skip', key: '21-1' },
    { action: 'force_complete', key: '21-2' },
  ] as const)(
    '$action stops the running test command; the subtask merges without the phase',
    async ({ action, key }) => {
      const project = await wf.project(SLOW_TEST_FILES);
      wf.script(slowAgent(key));
      const subtask = await wf.start(project, { key });
      const testing = await wf.waitFor(subtask, (state) => state.status === 'testing', 'the check');
      await eventually(
        () => processesIn(testing.worktree!).length > 0,
        30_000,
        'the test command to run in the worktree',
      );
      await override({ action, reason: 'the check takes too long' })(subtask.handle);
      const outcome = await subtask.handle.result();
      expect(outcome).toMatchObject({ status: 'completed', shas: { merge: expect.any(String) } });
      expect(outcome.shas.green).toBeUndefined();
      expect((await activities(subtask.handle, 'runCheck'))[0]).toMatchObject({
        result: { passed: false, runs: [{ outcome: 'cancelled' }] },
      });
      expect(processesIn(testing.worktree!)).toEqual([]);
      expect((await wf.state(subtask)).skipped).toEqual(action === 'skip' ? ['green'] : []);
    },
  );
});

describe('while blocked', () => {
  test('force_complete answers any block: the subtask merges without the phase', async () => {
    wf.script(failing('22-1', 'green'));
    const subtask = await wf.start(await wf.project(), { key: '22-1', settings: { maxAttempts: 1 } });
    await blockedIn(subtask);
    await override({ action: 'force_complete', reason: 'good enough as it is' })(subtask.handle);
    const outcome = await subtask.handle.result();
    expect(outcome).toMatchObject({ status: 'completed', shas: { merge: expect.any(String) } });
    expect(outcome.shas.green).toBeUndefined();
    expect(await wf.prisma.escalation.findFirstOrThrow({ where: { subtaskId: subtask.subtaskId } })).toMatchObject({
      status: 'resolved',
      chosenOption: 'force_complete',
    });
  });

  test('with an earlier phase, reset to it is offered (and skip gives way); the work is done again from there', async () => {
    wf.script(failing('22-2', 'refactor'), passing('22-2', 'green'));
    const subtask = await wf.start(await wf.project(), {
      key: '22-2',
      phases: GREEN_REFACTOR,
      settings: { maxAttempts: 1 },
    });
    const blocked = await blockedIn(subtask);
    expect(blocked.blocked).toMatchObject({
      options: ['retry_with_model', 'retry', 'reset', 'cancel'],
      details: { reset: 'Go back to green and redo the work from there' },
    });
    // humanOptions says "an admin's override still can" skip; the workflow refuses a skip the block does not offer.
    await decide(subtask.handle, [
      {
        label: 'skip',
        send: override({ action: 'skip', reason: 'refactor is not needed' }),
        refused: [NOT_POSSIBLE, /answer with retry_with_model, retry, reset, cancel$/],
      },
    ]);
    wf.script(passing('22-2', 'refactor'));
    await override({ action: 'reset', phase: 'green', reason: 'green again, differently' })(subtask.handle);
    expect(await subtask.handle.result()).toMatchObject({ status: 'completed' });
    expect(await phasesRun(subtask)).toEqual([
      ['green', 'completed'],
      ['refactor', 'failed'],
      ['green', 'completed'],
      ['refactor', 'completed'],
    ]);
    expect(await wf.prisma.escalation.findFirstOrThrow({ where: { subtaskId: subtask.subtaskId } })).toMatchObject({
      status: 'resolved',
      chosenOption: 'reset',
    });
  });

  test('on a cancelled dependency a person may start anyway (retry) or cancel; nothing else answers', async () => {
    const project = await wf.project();
    const dependency = await wf.register(project, '22-0');
    await wf.prisma.subtask.update({ where: { workflowId: dependency.workflowId }, data: { status: 'cancelled' } });
    wf.script(passing('22-3', 'green'));
    const subtask = await wf.start(project, { key: '22-3', dependencies: ['22-0'] });
    const blocked = await blockedIn(subtask);
    expect(blocked).toMatchObject({
      phase: null,
      blocked: {
        tier: 1,
        options: ['retry', 'cancel'],
        reason: 'the dependencies 22-0 were cancelled: start anyway, or cancel',
      },
    });
    await decide(subtask.handle, [
      {
        label: 'skip',
        send: override({ action: 'skip', reason: 'not needed' }),
        refused: [NOT_POSSIBLE, /^the subtask is blocked \(.+\): answer with retry, cancel$/],
      },
      {
        label: 'force',
        send: override({ action: 'force_complete', reason: 'ship it' }),
        refused: [NOT_POSSIBLE, /still preparing its workspace/],
      },
      { label: 'start anyway', send: override({ action: 'retry', reason: 'it does not need 22-0' }) },
    ]);
    expect(await subtask.handle.result()).toMatchObject({ status: 'completed' });
    expect(await wf.prisma.escalation.findFirstOrThrow({ where: { subtaskId: subtask.subtaskId } })).toMatchObject({
      phase: 'waiting',
      status: 'resolved',
      chosenOption: 'retry',
    });
  });

  test('a failed setup asks a person; after the cause is fixed, retry sets it up', async () => {
    const project = await wf.project();
    const onRelease = { ...project, snapshot: { ...project.snapshot, baseBranch: 'release' } };
    wf.script(passing('22-4', 'green'));
    const subtask = await wf.start(onRelease, { key: '22-4' });
    const blocked = await blockedIn(subtask);
    expect(blocked).toMatchObject({ phase: null, blocked: { tier: 1, options: ['retry', 'cancel'] } });
    expect(blocked.blocked!.reason).toMatch(
      /^setting up the workspace failed: The base branch release does not exist in /,
    );
    await git(project.repoPath, ['branch', 'release', 'main']);
    await override({ action: 'retry', reason: 'the branch is there now' })(subtask.handle);
    const outcome = await subtask.handle.result();
    expect(outcome.status).toBe('completed');
    expect(await git(project.repoPath, ['rev-parse', 'release'])).toBe(outcome.shas.merge);
    expect((await activities(subtask.handle, 'prepareWorkspace')).map((activity) => activity.end)).toEqual([
      'failed',
      'completed',
    ]);
  });
});

describe('while waiting for dependencies', () => {
  test('cancel ends it before any work: no worktree, no branch', async () => {
    const project = await wf.project();
    await wf.register(project, '23-0');
    const subtask = await wf.start(project, { key: '23-1', dependencies: ['23-0'] });
    await wf.waitFor(subtask, (state) => state.waitingFor !== undefined, 'the wait for 23-0');
    await override({ action: 'cancel', reason: 'not needed after all' })(subtask.handle);
    expect(await outcomeOf(subtask.handle)).toMatchObject({ status: 'cancelled', shas: {} });
    expect(await activities(subtask.handle)).toEqual([]);
    expect((await wf.events(subtask)).find((event) => event.kind === 'subtask.cancelled')!.message).toBe(
      'cancelled: not needed after all; the branch (none yet) is left for inspection',
    );
  });
});
