import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FILES, write } from '../../stack/demo/cart-tax-script.js';
import { git } from '../../git/git.js';
import { projectRoot } from '../../runtime/project-root.js';
import {
  type StartedSubtask,
  type TestProject,
  type WorkflowEnv,
  commitFiles,
  startWorkflowEnv,
} from '../support/workflow-env.js';
import {
  activities,
  approve,
  decide,
  outcomeOf,
  override,
  passing,
  recordHistory,
  reject,
} from '../support/workflow-history.js';
import { eventually } from '../support/maestro-process.js';

/**
 * The complete phase: the merge gate's decisions, and the merge loop's rounds — the base branch
 * moved (rebase, verify again, merge), a conflict (a person), a rebased branch that fails (a
 * person), a base that keeps moving three rounds in a row (a person).
 *
 * Each project has a test that, once the base branch has moved (the test's commits add files
 * under moves/), holds a verification until the test writes release-<number of moves>: the test
 * decides when each round's verification ends, so it can move the base in between, surely.
 */
let wf: WorkflowEnv;
let releases: string;
beforeAll(async () => {
  wf = await startWorkflowEnv('merge');
  // Not under the system's temporary folder: a sandboxed test command has a private one of its own.
  mkdirSync(path.join(projectRoot(), '.maestro'), { recursive: true });
  releases = mkdtempSync(path.join(projectRoot(), '.maestro', 'wf-releases-'));
});
afterAll(async () => {
  await wf?.close();
  if (releases) rmSync(releases, { recursive: true, force: true });
});

const holdTest = () => ({
  'test/unit/moves.test.js': `import { existsSync, readdirSync } from 'node:fs';
import { test } from 'node:test';

const moves = new URL('../../moves/', import.meta.url);
test('a verification after the base moved ends when the test says so', async () => {
  if (!existsSync(moves)) return;
  const release = ${JSON.stringify(releases)} + '/' + process.cwd().split('/').at(-1) + '-release-' + readdirSync(moves).length;
  for (let tick = 0; tick < 1200 && !existsSync(release); tick++) await new Promise((resolve) => setTimeout(resolve, 25));
});
`,
});
/** Lets the verification after the n-th move of this subtask's base end. */
const release = (subtask: StartedSubtask, state: { worktree?: string }, moves: number) =>
  writeFileSync(path.join(releases, `${path.basename(state.worktree!)}-release-${moves}`), '');
const moveBase = (project: TestProject, move: number) =>
  commitFiles(project.repoPath, { [`moves/${move}`]: `move ${move}\n` }, `the base moves (${move})`);
const atGate = (subtask: StartedSubtask) =>
  wf.waitFor(subtask, (state) => state.pendingGate?.gate === 'merge', 'the merge gate');
const results = async (subtask: StartedSubtask, type: string) =>
  (await activities(subtask.handle, type)).map((activity) => activity.result?.status);
const rebaseChecks = async (subtask: StartedSubtask) =>
  (await activities(subtask.handle, 'runCheck')).filter((activity) => activity.input.purpose === 'rebase').length;
const messages = async (subtask: StartedSubtask) => (await wf.events(subtask)).map((event) => event.message);

describe('the merge gate', () => {
  test('a rejection sends the work back to the phase named, with the comment; the next approval merges', async () => {
    const comment = 'name the function total, not sum';
    wf.script(passing('30-1', 'green', { taskIncludes: comment }), passing('30-1', 'green'));
    const subtask = await wf.start(await wf.project(), { key: '30-1', risk: 'medium' });
    await atGate(subtask);
    await reject('green', comment)(subtask.handle);
    await wf.waitFor(
      subtask,
      (state) =>
        state.pendingGate?.gate === 'merge' &&
        state.attempt === 1 &&
        state.shas.green !== undefined &&
        wf.scripted.requests.filter((request) => request.key === '30-1').length === 2,
      'the second merge gate',
    );
    await approve()(subtask.handle);
    expect(await subtask.handle.result()).toMatchObject({ status: 'completed' });
    expect(
      wf.scripted.requests.filter((request) => request.key === '30-1').map((request) => request.task.includes(comment)),
    ).toEqual([false, true]);
    const approvals = await wf.prisma.approval.findMany({
      where: { subtaskId: subtask.subtaskId },
      orderBy: { requestedAt: 'asc' },
    });
    expect(approvals.map((approval) => [approval.status, approval.returnToPhase])).toEqual([
      ['rejected', 'green'],
      ['approved', null],
    ]);
    expect(await messages(subtask)).toContain('sent back to green by user:ann');
  });

  test('high risk: the plan is approved before any agent acts (a rejected plan starts with the comment), and the merge again', async () => {
    const comment = 'keep subtotal() exported';
    wf.script(passing('30-5', 'green', { taskIncludes: comment }));
    const subtask = await wf.start(await wf.project(), { key: '30-5', risk: 'high' });
    await wf.waitFor(subtask, (state) => state.pendingGate?.gate === 'plan', 'the plan gate');
    expect(await activities(subtask.handle)).toEqual([]);
    await reject('green', comment)(subtask.handle);
    await atGate(subtask);
    await approve('merge it')(subtask.handle);
    expect(await subtask.handle.result()).toMatchObject({ status: 'completed' });
    expect(
      wf.scripted.requests
        .filter((request) => request.key === '30-5')
        .every((request) => request.task.includes(comment)),
    ).toBe(true);
    const approvals = await wf.prisma.approval.findMany({
      where: { subtaskId: subtask.subtaskId },
      orderBy: { requestedAt: 'asc' },
    });
    expect(approvals.map((approval) => [approval.gate, approval.status])).toEqual([
      ['plan', 'rejected'],
      ['merge', 'approved'],
    ]);
  });

  test.each([
    { action: 'force_complete', key: '30-2', status: 'completed', merges: 1 },
    { action: 'cancel', key: '30-3', status: 'cancelled', merges: 0 },
  ] as const)(
    '$action at the gate withdraws the approval and ends the subtask $status',
    async ({ action, key, status, merges }) => {
      wf.script(passing(key, 'green'));
      const subtask = await wf.start(await wf.project(), { key, risk: 'medium' });
      await atGate(subtask);
      await override({ action, reason: 'decided without a review' })(subtask.handle);
      expect((await outcomeOf(subtask.handle)).status).toBe(status);
      expect((await activities(subtask.handle, 'mergeBranch')).length).toBe(merges);
      expect(await wf.prisma.approval.findFirstOrThrow({ where: { subtaskId: subtask.subtaskId } })).toMatchObject({
        status: 'withdrawn',
        decidedBy: 'user:ann',
      });
    },
  );

  test('reset at the gate goes back to the phase: its agent is told who reset it and why', async () => {
    wf.script(passing('30-4', 'green'));
    const subtask = await wf.start(await wf.project(), { key: '30-4', risk: 'medium' });
    await atGate(subtask);
    await override({ action: 'reset', phase: 'green', reason: 'the names are wrong' })(subtask.handle);
    await eventually(
      () => wf.scripted.requests.filter((request) => request.key === '30-4').length === 2,
      30_000,
      'green again',
    );
    await atGate(subtask);
    await override({ action: 'cancel', reason: 'enough for today' })(subtask.handle);
    expect((await outcomeOf(subtask.handle)).status).toBe('cancelled');
    expect(wf.scripted.requests.filter((request) => request.key === '30-4').at(-1)!.task).toContain(
      'reset by user:ann: the names are wrong',
    );
    expect(
      (await wf.prisma.approval.findMany({ where: { subtaskId: subtask.subtaskId } })).map(
        (approval) => approval.status,
      ),
    ).toEqual(['withdrawn', 'withdrawn']);
  });
});

describe('the merge loop', () => {
  test('the base moved: the branch is rebased onto it, verified again and merged on top of it', async () => {
    const project = await wf.project(holdTest());
    wf.script(passing('31-1', 'green'));
    const subtask = await wf.start(project, { key: '31-1', risk: 'medium' });
    const gate = await atGate(subtask);
    const moved = await moveBase(project, 1);
    release(subtask, gate, 1);
    await approve()(subtask.handle);
    const outcome = await subtask.handle.result();
    expect(outcome).toMatchObject({ status: 'completed', shas: { base: moved } });
    expect(await results(subtask, 'mergeBranch')).toEqual(['base_moved', 'merged']);
    expect(await results(subtask, 'rebaseBranch')).toEqual(['rebased']);
    expect(
      (await activities(subtask.handle, 'runCheck')).map((activity) => [
        activity.input.purpose,
        activity.result?.passed,
      ]),
    ).toEqual([
      ['attempt', true],
      ['rebase', true],
    ]);
    expect(await git(project.repoPath, ['rev-parse', `${outcome.shas.merge}^1`])).toBe(moved);
    expect(await messages(subtask)).toEqual(
      expect.arrayContaining([
        `main moved to ${moved.slice(0, 8)}: rebased and verifying again`,
        're-verified on the moved base; merging',
      ]),
    );
  });

  test('merged: the subtasks waiting for it are told, and start', async () => {
    const project = await wf.project();
    wf.script(passing('31-5', 'green'), passing('31-6', 'green'));
    await wf.register(project, '31-5');
    const dependent = await wf.start(project, { key: '31-6', dependencies: ['31-5'] });
    await wf.waitFor(dependent, (state) => state.waitingFor !== undefined, 'the wait for 31-5');
    const dependency = await wf.start(project, { key: '31-5' });
    expect(await dependency.handle.result()).toMatchObject({ status: 'completed' });
    expect(await dependent.handle.result()).toMatchObject({ status: 'completed' });
    expect((await wf.events(dependency)).find((event) => event.kind === 'subtask.dependents_unblocked')!.message).toBe(
      `unblocked ${dependent.workflowId}`,
    );
    // It merged after the one it waited for, on top of it.
    expect(
      await git(project.repoPath, [
        'merge-base',
        '--is-ancestor',
        (await dependency.handle.result()).shas.merge!,
        (await dependent.handle.result()).shas.merge!,
      ]).then(() => true),
    ).toBe(true);
  });

  test('a conflict with the moved base asks a person, naming the files; once the base is mended, retry merges', async () => {
    const project = await wf.project();
    wf.script(passing('31-2', 'green', {}, [write(FILES.greenCode)]));
    const subtask = await wf.start(project, { key: '31-2', risk: 'medium' });
    await atGate(subtask);
    const conflicting = await commitFiles(
      project.repoPath,
      { 'src/cart.js': '// rewritten on main meanwhile\nexport const subtotal = () => 0;\n' },
      'a conflicting change',
    );
    await approve()(subtask.handle);
    const blocked = await wf.waitFor(subtask, (state) => state.status === 'blocked', 'the conflict to reach a person');
    expect(blocked).toMatchObject({
      phase: 'complete',
      blocked: {
        tier: 1,
        options: ['retry', 'reset', 'cancel'],
        conflicts: ['src/cart.js'],
        reason: 'main moved and the branch conflicts with it in src/cart.js',
      },
    });
    await decide(subtask.handle, [
      {
        label: 'skip',
        send: override({ action: 'skip', reason: 'merge it anyway' }),
        refused: ['OverrideNotPossible', /answer with retry, reset, cancel$/],
      },
      {
        label: 'approve',
        send: approve(),
        refused: ['NothingToApprove', /^nothing waits for approval: the subtask is blocked in complete$/],
      },
    ]);
    await git(project.repoPath, ['revert', '--no-edit', conflicting], { name: 'Test', email: 'test@maestro.local' });
    await override({ action: 'retry', reason: 'main is mended' })(subtask.handle);
    expect(await subtask.handle.result()).toMatchObject({ status: 'completed' });
    expect(await results(subtask, 'rebaseBranch')).toEqual(['conflicts', 'rebased']);
    expect(await results(subtask, 'mergeBranch')).toEqual(['base_moved', 'base_moved', 'merged']);
    expect(await messages(subtask)).toContain('trying the merge again after user:ann looked at the conflict');
    await recordHistory(subtask.handle, 'conflict-mended-then-retried');
  });

  test('a rebased branch that fails its verification asks a person; retry verifies again once the base is fixed', async () => {
    const project = await wf.project();
    wf.script(passing('31-3', 'green'));
    const subtask = await wf.start(project, { key: '31-3', risk: 'medium' });
    await atGate(subtask);
    const broken =
      "import assert from 'node:assert/strict';\nimport { test } from 'node:test';\n\ntest('broken on main', () => assert.equal(1, 2));\n";
    await commitFiles(project.repoPath, { 'test/unit/broken.test.js': broken }, 'a broken test on main');
    await approve()(subtask.handle);
    const blocked = await wf.waitFor(
      subtask,
      (state) => state.status === 'blocked',
      'the failed verification to reach a person',
    );
    expect(blocked.blocked).toMatchObject({ tier: 1, options: ['reset', 'retry', 'cancel'] });
    expect(blocked.blocked!.reason).toMatch(/^after rebasing onto main: 1 unit test\(s\) fail: "broken on main"/);
    await git(project.repoPath, ['rm', '--quiet', 'test/unit/broken.test.js']);
    await git(project.repoPath, ['commit', '--quiet', '-m', 'mend main'], {
      name: 'Test',
      email: 'test@maestro.local',
    });
    await override({ action: 'retry', reason: 'main is mended' })(subtask.handle);
    expect(await subtask.handle.result()).toMatchObject({ status: 'completed' });
    expect(
      (await activities(subtask.handle, 'runCheck')).map((activity) => [
        activity.input.purpose,
        activity.result?.passed,
      ]),
    ).toEqual([
      ['attempt', true],
      ['rebase', false],
      ['rebase', true],
    ]);
    expect(await messages(subtask)).toContain('verifying again after user:ann asked for it');
    await recordHistory(subtask.handle, 'rebased-verification-fails-then-retried');
  });

  test('a base that moves in each of three rounds asks a person; retry merges without another approval', async () => {
    const project = await wf.project(holdTest());
    wf.script(passing('31-4', 'green'));
    const subtask = await wf.start(project, { key: '31-4', risk: 'medium' });
    const gate = await atGate(subtask);
    await moveBase(project, 1);
    await approve()(subtask.handle);
    // Round n's verification waits until the base has moved again (rounds 1 and 2), then is released.
    for (const round of [1, 2, 3]) {
      await eventually(
        async () => (await rebaseChecks(subtask)) >= round,
        30_000,
        `the verification of round ${round}`,
      );
      if (round < 3) await moveBase(project, round + 1);
      release(subtask, gate, round);
    }
    const blocked = await wf.waitFor(
      subtask,
      (state) => state.status === 'blocked',
      'the moving base to reach a person',
    );
    expect(blocked).toMatchObject({
      phase: 'complete',
      blocked: {
        tier: 1,
        options: ['retry', 'reset', 'cancel'],
        reason: 'main kept moving during three merge attempts',
      },
    });
    expect(await results(subtask, 'mergeBranch')).toEqual(['base_moved', 'base_moved', 'base_moved']);
    await override({ action: 'retry', reason: 'main is quiet now' })(subtask.handle);
    const outcome = await subtask.handle.result();
    expect(outcome.status).toBe('completed');
    expect(await results(subtask, 'mergeBranch')).toEqual(['base_moved', 'base_moved', 'base_moved', 'merged']);
    expect(await results(subtask, 'rebaseBranch')).toEqual(['rebased', 'rebased', 'rebased']);
    expect(await wf.prisma.approval.count({ where: { subtaskId: subtask.subtaskId } })).toBe(1);
    expect(await messages(subtask)).toContain('trying the merge again (user:ann)');
    await recordHistory(subtask.handle, 'base-kept-moving-then-retried');
  });

  test('force complete while the rebased branch is verified: the verification stops, and the round starts again', async () => {
    const project = await wf.project(holdTest());
    wf.script(passing('31-5', 'green'));
    const subtask = await wf.start(project, { key: '31-5', risk: 'medium' });
    const gate = await atGate(subtask);
    await moveBase(project, 1);
    await approve()(subtask.handle);
    await eventually(async () => (await rebaseChecks(subtask)) >= 1, 30_000, 'the verification of the rebased branch');
    await wf.waitFor(subtask, (state) => state.status === 'testing', 'the verification to run');
    await override({ action: 'force_complete', reason: 'ship it' })(subtask.handle);
    await eventually(async () => (await rebaseChecks(subtask)) >= 2, 30_000, 'the verification of the next round');
    release(subtask, gate, 1);
    expect(await subtask.handle.result()).toMatchObject({ status: 'completed' });
    // The check is stopped: cancelled before it started, or its command stopped and the run marked cancelled.
    const checks = await activities(subtask.handle, 'runCheck');
    expect(checks.map((activity) => [activity.input.purpose, activity.result?.passed ?? activity.end])).toEqual([
      ['attempt', true],
      ['rebase', expect.toSatisfy((stopped) => stopped === false || stopped === 'cancelled')],
      ['rebase', true],
    ]);
    expect(await results(subtask, 'mergeBranch')).toEqual(['base_moved', 'base_moved', 'merged']);
    // Either way the round starts again from ready for review, never stuck in testing.
    const restarted = (await messages(subtask)).filter(
      (message) =>
        message === 'the verification was cut short by user:ann (force complete); merging again' ||
        message === 'verifying again after user:ann asked for it',
    );
    expect(restarted).toHaveLength(1);
    await recordHistory(subtask.handle, 'force-complete-during-reverification');
  });
});
