import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { git } from '../../git/git.js';
import { type StartedSubtask, type WorkflowEnv, startWorkflowEnv } from '../support/workflow-env.js';
import { GREEN_REFACTOR, SPARE_DEVELOPER_QUEUE } from '../support/workflow-env-settings.js';
import { dependencyCompletedSignal } from '../../workflows/subtask/subtask.shared.js';
import {
  acceptedUpdates,
  activities,
  agentRuns,
  approve,
  decide,
  failing,
  held,
  historyOf,
  outcomeOf,
  override,
  passing,
  reject,
  settled,
  timers,
} from '../support/workflow-history.js';
import { SLOW_TEST_FILES, processesIn, slowAgent } from '../support/slow-check.js';
import { eventually } from '../support/maestro-process.js';

/**
 * Every override (and approval) in each state it can meet — waiting for dependencies, at the plan
 * gate, during an agent run, during a check, while blocked, at the merge gate — accepted where the
 * rules allow it and refused with the reason where they do not. A refused update never reaches the
 * history; each state ends with one accepted interrupting override and its effect.
 */
let wf: WorkflowEnv;
beforeAll(async () => {
  wf = await startWorkflowEnv('overrides');
});
afterAll(() => wf?.close());

const NOT_POSSIBLE = 'OverrideNotPossible';
const pause = { label: 'pause', send: override({ action: 'pause', reason: 'hold on a moment' }) };
const resume = { label: 'resume', send: override({ action: 'resume' }) };
const notPaused = {
  label: 'resume when not paused',
  send: override({ action: 'resume' }),
  refused: [NOT_POSSIBLE, /^the subtask is not paused$/] as [string, RegExp],
};
const kinds = async (subtask: StartedSubtask) => (await wf.events(subtask)).map((event) => event.kind);
const inFlight = (key: string) =>
  eventually(
    () => wf.scripted.requests.some((request) => request.key === key && request.status === undefined),
    30_000,
    `a model call of ${key} in flight`,
  );

describe('overrides in each state', () => {
  test('waiting for its dependencies: nothing to skip, reset or force yet; pause, reassign and cancel apply; the dependency completing starts it', async () => {
    const project = await wf.project();
    const dependency = await wf.register(project, '10-0');
    wf.script(passing('10-1', 'green'));
    const subtask = await wf.start(project, { key: '10-1', dependencies: ['10-0'] });
    expect(await wf.waitFor(subtask, (state) => state.waitingFor !== undefined, 'the wait for 10-0')).toMatchObject({
      status: 'pending',
      phase: null,
      waitingFor: ['10-0'],
    });

    await decide(subtask.handle, [
      {
        label: 'skip',
        send: override({ action: 'skip', reason: 'not needed' }),
        refused: [NOT_POSSIBLE, /^no phase is running yet$/],
      },
      {
        label: 'reset',
        send: override({ action: 'reset', phase: 'green', reason: 'from the start' }),
        refused: [NOT_POSSIBLE, /^no phase has started yet$/],
      },
      {
        label: 'force',
        send: override({ action: 'force_complete', reason: 'ship it' }),
        refused: [NOT_POSSIBLE, /still preparing its workspace/],
      },
      {
        label: 'retry',
        send: override({ action: 'retry' }),
        refused: [NOT_POSSIBLE, /^retry answers a blocked subtask; this one is pending$/],
      },
      {
        label: 'approve',
        send: approve(),
        refused: ['NothingToApprove', /^nothing waits for approval: the subtask is pending$/],
      },
      notPaused,
      pause,
      {
        label: 'pause twice',
        send: override({ action: 'pause', reason: 'hold on a moment' }),
        refused: [NOT_POSSIBLE, /^the subtask is paused already$/],
      },
      {
        label: 'reassign',
        send: override({
          action: 'reassign',
          role: 'developer',
          taskQueue: SPARE_DEVELOPER_QUEUE,
          reason: 'the spare workers',
        }),
      },
      resume,
    ]);
    expect(await acceptedUpdates(subtask.handle)).toEqual(['override', 'override', 'override']);

    // A signal cannot be refused: one that does not parse is dropped, and the workflow task does not fail on it.
    for (const malformed of [null, { key: 7 }, { key: '' }, { key: '10-0', extra: true }, { key: 'x'.repeat(101) }])
      await subtask.handle.signal('dependencyCompleted', malformed);
    await subtask.handle.signal('budgetChanged', { actor: 'nobody' });
    await settled(subtask.handle);
    expect((await historyOf(subtask.handle)).filter((event) => event.workflowTaskFailedEventAttributes).length).toBe(0);
    expect(await wf.state(subtask)).toMatchObject({ status: 'pending', waitingFor: ['10-0'] });
    // A signal alone does not start it: the registry is asked again, and 10-0 is not completed there.
    await subtask.handle.signal(dependencyCompletedSignal, { key: '10-0' });
    await settled(subtask.handle);
    expect(await wf.state(subtask)).toMatchObject({ status: 'pending', waitingFor: ['10-0'] });
    // The dependency completes: its row says so (as its workflow writes it), its signal wakes this one.
    await wf.prisma.subtask.update({ where: { workflowId: dependency.workflowId }, data: { status: 'completed' } });
    await subtask.handle.signal(dependencyCompletedSignal, { key: '10-0' });
    expect(await subtask.handle.result()).toMatchObject({ status: 'completed' });
    expect(await timers(subtask.handle)).toContain(3_600_000); // the hourly look, in case a signal is missed
    expect((await agentRuns(subtask.handle)).map((activity) => activity.taskQueue)).toEqual([SPARE_DEVELOPER_QUEUE]);
    expect((await wf.events(subtask)).find((event) => event.kind === 'subtask.waiting')!.message).toBe(
      'waiting for 10-0 to complete',
    );
  });

  test('at the plan gate of a high-risk subtask: no phase yet, a plan goes back only to the first phase; cancel withdraws the approval', async () => {
    const subtask = await wf.start(await wf.project(), { key: '11-1', risk: 'high', phases: GREEN_REFACTOR });
    expect(await wf.waitFor(subtask, (state) => state.pendingGate !== undefined, 'the plan gate')).toMatchObject({
      status: 'pending',
      phase: null,
      pendingGate: { gate: 'plan' },
    });
    await decide(subtask.handle, [
      {
        label: 'reject to refactor',
        send: reject('refactor', 'write the tests first'),
        refused: [
          'InvalidInput',
          /^nothing has been done yet: a rejected plan starts again at green, with your comment$/,
        ],
      },
      {
        label: 'reject to complete',
        send: reject('complete', 'write the tests first'),
        refused: ['InvalidInput', /^complete is not a phase to return to: name one of green, refactor$/],
      },
      {
        label: 'reject without a comment',
        send: reject('green', 'no'),
        refused: ['InvalidInput', /say what to change/],
      },
      {
        label: 'skip',
        send: override({ action: 'skip', reason: 'not needed' }),
        refused: [NOT_POSSIBLE, /^no phase is running yet$/],
      },
      {
        label: 'force',
        send: override({ action: 'force_complete', reason: 'ship it' }),
        refused: [NOT_POSSIBLE, /still preparing its workspace/],
      },
      { label: 'cancel', send: override({ action: 'cancel', reason: 'the plan is wrong' }) },
    ]);
    expect(await outcomeOf(subtask.handle)).toMatchObject({ status: 'cancelled' });
    expect(await wf.prisma.approval.findFirstOrThrow({ where: { subtaskId: subtask.subtaskId } })).toMatchObject({
      gate: 'plan',
      status: 'withdrawn',
      decidedBy: 'user:ann',
    });
    // Cancelled before any work: no worktree was made, no agent ran.
    expect(await activities(subtask.handle)).toEqual([]);
  });

  test('during an agent run: pause lets it run, retry and approvals are refused, bad messages are refused as invalid; skip cuts the agent short', async () => {
    wf.script(held('12-1', 'green', 'never'));
    const subtask = await wf.start(await wf.project(), { key: '12-1' });
    await inFlight('12-1');
    await decide(subtask.handle, [
      {
        label: 'retry',
        send: override({ action: 'retry', hint: 'try harder' }),
        refused: [NOT_POSSIBLE, /^retry answers a blocked subtask; this one is in_progress$/],
      },
      {
        label: 'reset to complete',
        send: override({ action: 'reset', phase: 'complete', reason: 'start over' }),
        refused: [NOT_POSSIBLE, /^reset to a work phase, not to complete$/],
      },
      {
        label: 'reset to red',
        send: override({ action: 'reset', phase: 'red', reason: 'start over' }),
        refused: [NOT_POSSIBLE, /^red is not a phase of this subtask$/],
      },
      {
        label: 'approve',
        send: approve(),
        refused: ['NothingToApprove', /^nothing waits for approval: the subtask is in_progress in green$/],
      },
      {
        label: 'reject',
        send: reject('green', 'do it differently'),
        refused: ['NothingToApprove', /^nothing waits for approval/],
      },
      {
        label: 'no actor',
        send: override({ action: 'pause', reason: 'hold on a moment', actor: undefined }),
        refused: ['InvalidInput', /^actor: say who acts/],
      },
      {
        label: 'a short reason',
        send: override({ action: 'skip', reason: 'no' }),
        refused: ['InvalidInput', /^reason: give a reason of a few words$/],
      },
      {
        label: 'a bad queue',
        send: override({
          action: 'reassign',
          role: 'developer',
          taskQueue: 'not a queue!',
          reason: 'elsewhere please',
        }),
        refused: ['InvalidInput', /^taskQueue: a task queue name/],
      },
      pause,
      resume,
      { label: 'skip', send: override({ action: 'skip', reason: 'green is not needed' }) },
      {
        label: 'reset while the skip is applied',
        send: override({ action: 'reset', phase: 'green', reason: 'start over' }),
        refused: [NOT_POSSIBLE, /^an earlier skip is still being applied: try again in a moment$/],
      },
    ]);
    const outcome = await subtask.handle.result();
    expect(outcome).toMatchObject({ status: 'completed' });
    expect(outcome.shas.green).toBeUndefined();
    expect(await wf.state(subtask)).toMatchObject({
      skipped: ['green'],
      checklist: expect.arrayContaining([
        expect.objectContaining({ id: 'phase:green', done: true, note: 'skipped by user:ann: green is not needed' }),
      ]),
    });
    expect((await agentRuns(subtask.handle)).map((activity) => activity.end)).toEqual(['cancelled']);
    expect(await acceptedUpdates(subtask.handle)).toEqual(['override', 'override', 'override']);
    expect(await kinds(subtask)).toEqual(
      expect.arrayContaining(['override.pause', 'override.resume', 'override.skip']),
    );
  });

  test('during a check: retry and approvals are refused; cancel stops the running test command and keeps the branch', async () => {
    const project = await wf.project(SLOW_TEST_FILES);
    wf.script(slowAgent('13-1'));
    const subtask = await wf.start(project, { key: '13-1' });
    const testing = await wf.waitFor(subtask, (state) => state.status === 'testing', 'the check');
    await eventually(
      () => processesIn(testing.worktree!).length > 0,
      30_000,
      'the test command to run in the worktree',
    );
    await decide(subtask.handle, [
      {
        label: 'retry',
        send: override({ action: 'retry' }),
        refused: [NOT_POSSIBLE, /^retry answers a blocked subtask; this one is testing$/],
      },
      {
        label: 'approve',
        send: approve(),
        refused: ['NothingToApprove', /^nothing waits for approval: the subtask is testing in green$/],
      },
      pause,
      resume,
      { label: 'cancel', send: override({ action: 'cancel', reason: 'the tests take too long' }) },
      {
        label: 'skip after the cancel',
        send: override({ action: 'skip', reason: 'green is not needed' }),
        refused: [NOT_POSSIBLE, /^the subtask is being cancelled$/],
      },
    ]);
    expect(await outcomeOf(subtask.handle)).toMatchObject({ status: 'cancelled' });
    // The runner stops the command and reports the run as cancelled (the activity itself completes).
    const [check] = await activities(subtask.handle, 'runCheck');
    expect(check).toMatchObject({ end: 'completed', result: { passed: false, runs: [{ outcome: 'cancelled' }] } });
    expect(processesIn(testing.worktree!)).toEqual([]);
    expect(await git(project.repoPath, ['branch', '--list', testing.branch!, '--format=%(refname:short)'])).toBe(
      testing.branch,
    );
    expect((await wf.events(subtask)).find((event) => event.kind === 'subtask.cancelled')!.message).toBe(
      `cancelled: the tests take too long; the branch ${testing.branch} is left for inspection`,
    );
  });

  test('while blocked: only the options offered answer it (and force, cancel); reassign applies; retry with a hint runs on the new queue', async () => {
    wf.script(passing('14-1', 'green', { taskIncludes: 'a hint from ann' }), failing('14-1', 'green'));
    const subtask = await wf.start(await wf.project(), { key: '14-1', settings: { maxAttempts: 1 } });
    await wf.waitFor(subtask, (state) => state.status === 'blocked', 'a person to be asked');
    await decide(subtask.handle, [
      {
        label: 'reset',
        send: override({ action: 'reset', phase: 'green', reason: 'start over' }),
        refused: [NOT_POSSIBLE, /^the subtask is blocked \(.+\): answer with retry_with_model, retry, skip, cancel$/],
      },
      {
        label: 'retry with an unknown model',
        send: override({ action: 'retry', model: 'gpt-nope' }),
        refused: [NOT_POSSIBLE, /^gpt-nope is not in the model registry; the models are .*member-c/],
      },
      {
        label: 'approve',
        send: approve(),
        refused: ['NothingToApprove', /^nothing waits for approval: the subtask is blocked in green$/],
      },
      notPaused,
      pause,
      resume,
      {
        label: 'reassign',
        send: override({
          action: 'reassign',
          role: 'developer',
          taskQueue: SPARE_DEVELOPER_QUEUE,
          reason: 'the spare workers',
        }),
      },
      { label: 'retry', send: override({ action: 'retry', hint: 'a hint from ann' }) },
    ]);
    expect(await subtask.handle.result()).toMatchObject({ status: 'completed' });
    expect((await agentRuns(subtask.handle)).map((activity) => [activity.taskQueue, activity.end])).toEqual([
      ['maestro-developer', 'failed'],
      [SPARE_DEVELOPER_QUEUE, 'completed'],
    ]);
    expect((await wf.state(subtask)).queues.developer).toBe(SPARE_DEVELOPER_QUEUE);
    expect(await wf.prisma.escalation.findFirstOrThrow({ where: { subtaskId: subtask.subtaskId } })).toMatchObject({
      status: 'resolved',
      chosenOption: 'retry',
      comment: 'a hint from ann',
    });
  });

  test('at the merge gate: the complete phase cannot be skipped, a rejection must name a work phase; approve merges, once', async () => {
    wf.script(passing('15-1', 'green'));
    const subtask = await wf.start(await wf.project(), { key: '15-1', risk: 'medium' });
    expect(await wf.waitFor(subtask, (state) => state.pendingGate !== undefined, 'the merge gate')).toMatchObject({
      status: 'ready_for_review',
      phase: 'complete',
      pendingGate: { gate: 'merge' },
    });
    await decide(subtask.handle, [
      {
        label: 'skip',
        send: override({ action: 'skip', reason: 'not needed' }),
        refused: [NOT_POSSIBLE, /^the complete phase cannot be skipped: use force_complete or cancel$/],
      },
      {
        label: 'retry',
        send: override({ action: 'retry' }),
        refused: [NOT_POSSIBLE, /^retry answers a blocked subtask; this one is ready_for_review$/],
      },
      {
        label: 'reset to complete',
        send: override({ action: 'reset', phase: 'complete', reason: 'start over' }),
        refused: [NOT_POSSIBLE, /^reset to a work phase, not to complete$/],
      },
      {
        label: 'reject to complete',
        send: reject('complete', 'merge it differently'),
        refused: ['InvalidInput', /^complete is not a phase to return to: name one of green$/],
      },
      pause,
      resume,
      { label: 'approve', send: approve('looks good') },
      {
        label: 'approve twice',
        send: approve('looks good'),
        refused: ['NothingToApprove', /^nothing waits for approval/],
      },
    ]);
    const outcome = await subtask.handle.result();
    expect(outcome).toMatchObject({ status: 'completed', shas: { merge: expect.any(String) } });
    expect(await git(subtask.project.repoPath, ['rev-parse', 'main'])).toBe(outcome.shas.merge);
    expect(await wf.prisma.approval.findFirstOrThrow({ where: { subtaskId: subtask.subtaskId } })).toMatchObject({
      gate: 'merge',
      status: 'approved',
      decidedBy: 'user:ann',
      comment: 'looks good',
    });
    expect(await acceptedUpdates(subtask.handle)).toEqual(['override', 'override', 'approve']);
  });
});
