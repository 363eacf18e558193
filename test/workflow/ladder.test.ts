import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { git } from '../../git/git.js';
import { FILES, read, write } from '../../stack/demo/cart-tax-script.js';
import type { ScriptedConversation } from '../../stack/scripted-model/script.js';
import { overrideUpdate } from '../../workflows/subtask/subtask.shared.js';
import { eventually } from '../support/maestro-process.js';
import { type WorkflowEnv, startWorkflowEnv } from '../support/workflow-env.js';
import { LADDER, MODELS, REMINDER_NEVER_MS } from '../support/workflow-env-settings.js';
import {
  activities,
  agentRuns,
  children,
  failing,
  outcomeOf,
  passing,
  recordHistory,
  timers,
} from '../support/workflow-history.js';

/**
 * The escalation ladder, decision by decision, on real parts: retries with backoff (tier 1), a
 * strategic review (tier 2), a council child workflow (tier 3), a person (tier 4), and the
 * reminders while nobody answers. The agents give up at once, so a failed attempt costs one model
 * call and no test run.
 */
let wf: WorkflowEnv;
beforeAll(async () => {
  wf = await startWorkflowEnv('ladder');
});
afterAll(() => wf?.close());

const GUIDANCE = 'Keep subtotal() as it is and add total() beside it.';
const review = (key: string) => ({ match: { key, role: 'orchestrator' }, turns: [{ content: GUIDANCE }] });
const council = { ...LADDER.council, enabled: true };
const cancel = { action: 'cancel', actor: 'user:ann', reason: 'not worth it' } as const;

describe('tier 1: retries', () => {
  test('each failed attempt waits a backoff that doubles and stops at retryBackoffMaxMs; with the upper tiers off a person is asked at tier 1', async () => {
    wf.script(failing('1-1', 'green'));
    const subtask = await wf.start(await wf.project(), {
      key: '1-1',
      settings: { maxAttempts: 4, retryBackoffMs: 100, retryBackoffMaxMs: 250 },
    });
    const blocked = await wf.waitFor(subtask, (state) => state.status === 'blocked', 'the retries to be spent');

    // member-c is on the routing lists and has not tried green: "retry with another model" comes first.
    expect(blocked).toMatchObject({
      phase: 'green',
      attempt: 4,
      escalationTier: 4,
      blocked: { tier: 1, options: ['retry_with_model', 'retry', 'skip', 'cancel'] },
    });
    expect(blocked.blocked!.reason).toMatch(
      /^4 attempt\(s\) of green failed; last: The agent stopped without calling finish/,
    );
    // The backoffs between the attempts, then the escalation's reminder timer.
    expect(await timers(subtask.handle)).toEqual([100, 200, 250, REMINDER_NEVER_MS]);
    const log = await wf.events(subtask);
    expect(
      log.filter((event) => event.kind === 'subtask.transition').map((event) => (event.data as { to: string }).to),
    ).toEqual(['in_progress', 'failed', 'retrying', 'failed', 'retrying', 'failed', 'retrying', 'failed', 'blocked']);
    expect(
      log.filter((event) => event.kind === 'phase.handoff').map((event) => (event.data as { attempt: number }).attempt),
    ).toEqual([1, 2, 3, 4]);
    const escalation = await wf.prisma.escalation.findFirstOrThrow({ where: { subtaskId: subtask.subtaskId } });
    expect(escalation).toMatchObject({
      tier: 1,
      phase: 'green',
      status: 'open',
      recommendedOption: 'retry_with_model',
      reminders: 0,
    });

    await subtask.handle.executeUpdate(overrideUpdate, { args: [cancel] });
    expect(await outcomeOf(subtask.handle)).toMatchObject({ status: 'cancelled' });
    expect(await wf.prisma.escalation.findUniqueOrThrow({ where: { id: escalation.id } })).toMatchObject({
      status: 'withdrawn',
      chosenOption: 'cancel',
      resolvedBy: 'user:ann',
    });
  });
  test('a failed check gives the next attempt its failing tests, its output and the diff of the failed attempt', async () => {
    const broken = {
      path: 'src/cart.js',
      content: 'export function subtotal() {\n  return 0; // broken-on-purpose-7f3\n}\n',
    };
    wf.script(
      passing('1-2', 'green', { attempt: 2 }, [write(FILES.greenCode)]),
      passing('1-2', 'green', { attempt: 1 }, [write(broken)]),
    );
    const subtask = await wf.start(await wf.project(), { key: '1-2' });
    expect(await subtask.handle.result()).toMatchObject({ status: 'completed' });

    const final = await wf.state(subtask);
    expect(final.lastFailure).toMatchObject({
      phase: 'green',
      attempt: 1,
      failingTests: ['subtotal adds price times quantity'],
      sha: expect.any(String),
    });
    expect(final.lastFailure!.reason).toBe('1 unit test(s) fail: "subtotal adds price times quantity"');
    const [first, second] = wf.scripted.requests.filter((request) => request.key === '1-2' && request.turn === 0);
    expect(first!.task).not.toContain('broken-on-purpose-7f3');
    expect(second!.task).toContain('broken-on-purpose-7f3');
    expect(second!.task).toContain(final.lastFailure!.reason);
    expect((await activities(subtask.handle, 'runCheck')).map((activity) => activity.result?.passed)).toEqual([
      false,
      true,
    ]);
  });
});

describe('tier 2: the strategic review', () => {
  test('after the attempts are spent the strategic model writes guidance, and reviewAttempts more attempts get it', async () => {
    wf.script(review('2-1'), passing('2-1', 'green', { taskIncludes: GUIDANCE }), failing('2-1', 'green'));
    const subtask = await wf.start(await wf.project(), {
      key: '2-1',
      ladder: { strategicReview: true, reviewAttempts: 1 },
    });
    expect(await subtask.handle.result()).toMatchObject({ status: 'completed' });

    const green = wf.scripted.requests.filter((request) => request.key === '2-1' && request.role === 'developer');
    expect(green.map((request) => [request.attempt, request.task.includes(GUIDANCE)])).toEqual([
      [1, false],
      [2, false],
      [3, true],
    ]);
    const log = await wf.events(subtask);
    const kinds = log.map((event) => event.kind);
    expect(log.find((event) => event.kind === 'escalation.review')!.message).toBe(
      'Escalating green to a strategic review by scripted after 2 failed attempt(s) (tier 2)',
    );
    expect(kinds.indexOf('escalation.guidance')).toBeGreaterThan(kinds.indexOf('escalation.review'));
    expect(kinds.indexOf('escalation.guidance')).toBeLessThan(
      log.findIndex((event) => event.kind === 'phase.handoff' && (event.data as { attempt: number }).attempt === 3),
    );
    // "attempt N of" the limit the review raised: 2 of 2 before it, 3 of 3 after.
    expect(
      log
        .filter((event) => event.kind === 'subtask.transition' && (event.data as { to: string }).to === 'retrying')
        .map((event) => event.message),
    ).toEqual([
      'green: attempt 2 of 2, with the last failure in its prompt',
      'green: attempt 3 of 3, with the last failure in its prompt',
    ]);
    // Keys repeat across projects: the review is told whose subtask 2-1 it is.
    const asked = wf.scripted.requests.find((request) => request.key === '2-1' && request.role === 'orchestrator')!;
    expect(asked.task).toContain(`# Subtask 2-1 of the project "${subtask.project.name}": `);
    expect(JSON.stringify(asked.body)).toContain(`subtask 2-1 of the project \\"${subtask.project.name}\\"`);
    const final = await wf.state(subtask);
    expect(final).toMatchObject({ status: 'completed', guidance: GUIDANCE });
    expect(final.escalationTier).toBeUndefined();
    // One backoff (after attempt 1); the review follows the last attempt at once, and attempt 3 the review.
    expect(await timers(subtask.handle)).toEqual([50]);
    // Prepared on the orchestrator's queue, asked on the strategic model's: no workflow per call.
    expect(await activities(subtask.handle, 'prepareStrategicReview')).toMatchObject([
      {
        taskQueue: 'maestro-orchestrator',
        end: 'completed',
        input: { phase: 'green', failures: [{ attempt: 1 }, { attempt: 2 }] },
      },
    ]);
    expect(await activities(subtask.handle, 'askModelStep')).toMatchObject([
      {
        taskQueue: expect.stringMatching(/^maestro-model-/),
        end: 'completed',
        input: { meta: { purpose: 'strategic' } },
      },
    ]);
    expect(await activities(subtask.handle, 'strategicReview')).toEqual([]);
    await recordHistory(subtask.handle, 'review-guides-green');
    expect(await wf.prisma.modelCall.count({ where: { subtaskId: subtask.subtaskId, purpose: 'strategic' } })).toBe(1);
  });
});

describe('tier 3: the council', () => {
  test('a council child workflow asks its members; the passing candidate is applied to the branch and checked there', async () => {
    wf.script(
      failing('3-1', 'green', { model: MODELS.members[0] }),
      passing('3-1', 'green', { model: MODELS.members[1] }, [read('package.json')]),
      failing('3-1', 'green'),
    );
    const subtask = await wf.start(await wf.project(), {
      key: '3-1',
      settings: { maxAttempts: 1 },
      ladder: { council },
    });
    expect(await subtask.handle.result()).toMatchObject({ status: 'completed' });

    const councilId = `council-${subtask.workflowId}-green-1`;
    expect(await children(subtask.handle)).toEqual([councilId]);
    const final = await wf.state(subtask);
    expect(final.council).toMatchObject({
      workflowId: councilId,
      members: [...MODELS.members],
      status: 'decided',
      winner: MODELS.members[1],
    });
    expect(await git(subtask.project.repoPath, ['log', '-1', '--format=%s', final.shas.green!])).toMatch(
      /council candidate of member-b$/,
    );
    // Each member is an agent's run of its own: prepared on the council's queue, its model calls
    // on the member's queue, its tools and commit on the host's; charged to the council.
    const councilHandle = wf.client.workflow.getHandle(councilId);
    const members = await agentRuns(councilHandle);
    expect(members.map((run) => [run.workflowId, run.taskQueue, run.input.model, run.end])).toEqual([
      [`${councilId}/member/member-a`, 'maestro-council', expect.objectContaining({ id: 'member-a' }), 'failed'],
      [`${councilId}/member/member-b`, 'maestro-council', expect.objectContaining({ id: 'member-b' }), 'completed'],
    ]);
    const memberB = wf.client.workflow.getHandle(members[1]!.workflowId!);
    const steps = await activities(memberB);
    expect(steps.map((step) => step.type)).toEqual(
      expect.arrayContaining(['prepareAgentRun', 'agentModelStep', 'runAgentTool', 'commitAgentRun']),
    );
    expect(steps.find((step) => step.type === 'agentModelStep')).toMatchObject({
      taskQueue: 'maestro-model-member-b',
      input: { meta: { workflowId: councilId, purpose: 'council', role: 'council:member-b' } },
    });
    expect(steps.find((step) => step.type === 'runAgentTool')!.taskQueue).toMatch(/^maestro-worktrees-/);
    expect((await activities(councilHandle, 'keepCouncilCandidate')).map((activity) => activity.input.model)).toEqual([
      'member-b',
    ]);
    expect(await wf.client.workflow.count("WorkflowType = 'modelCallWorkflow'")).toMatchObject({ count: 0 });
    const charged = await wf.prisma.modelCall.groupBy({
      by: ['role'],
      where: { workflowId: councilId, purpose: 'council' },
      _count: { _all: true },
    });
    expect(Object.fromEntries(charged.map((row) => [row.role, row._count._all]))).toEqual({
      'council:member-a': 1,
      'council:member-b': 2,
    });
    // Each candidate is checked in the council; the winner again on the subtask's branch.
    expect((await activities(councilHandle, 'runCheck')).map((activity) => activity.input.purpose)).toEqual([
      'council_candidate',
    ]);
    expect((await activities(subtask.handle, 'runCheck')).map((activity) => activity.input.purpose)).toEqual([
      'council_winner',
    ]);
    await recordHistory(memberB, 'council-member-run');
    const kinds = (await wf.events(subtask)).map((event) => event.kind);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'escalation.council',
        'council.convened',
        'council.member_failed',
        'council.selected',
        'council.success',
      ]),
    );
    expect(await wf.prisma.councilSession.findUniqueOrThrow({ where: { workflowId: councilId } })).toMatchObject({
      winner: 'member-b',
      applied: true,
      outcome: 'success',
      status: 'decided',
    });
  });
});

describe('tier 3: the council at its cap', () => {
  test("a council whose cap is spent asks no member: each member's first step is refused by its gateway", async () => {
    wf.script(
      passing('3-3', 'green', { model: MODELS.members[0] }),
      passing('3-3', 'green', { model: MODELS.members[1] }),
      failing('3-3', 'green'),
    );
    const subtask = await wf.start(await wf.project(), {
      key: '3-3',
      settings: { maxAttempts: 1 },
      ladder: { council: { ...council, maxCostUsd: 0 } },
    });
    const councilId = `council-${subtask.workflowId}-green-1`;
    await eventually(
      async () => ((await wf.state(subtask)).council?.status === 'failed' ? true : undefined),
      60_000,
      'the council to fail',
    );
    const members = await agentRuns(wf.client.workflow.getHandle(councilId));
    expect(members.map((run) => run.end)).toEqual(['failed', 'failed']);
    const steps = await activities(wf.client.workflow.getHandle(members[0]!.workflowId!), 'agentModelStep');
    expect(steps.map((step) => step.end)).toEqual(['failed']);
    const failed = (await wf.events(subtask)).filter((event) => event.kind === 'council.member_failed');
    expect(failed.map((event) => event.message)).toEqual([
      'member-a failed: Stopped: the council spent $0.00, at or over its cap of $0.00.',
      'member-b failed: Stopped: the council spent $0.00, at or over its cap of $0.00.',
    ]);
    expect(
      wf.scripted.requests.filter((request) => request.key === '3-3' && request.model !== MODELS.tactical),
    ).toEqual([]);
    await subtask.handle.terminate('the test is done');
  });
});

describe('tier 3: the judge of best_reasoning', () => {
  test('both candidates pass: the judge scores them, asked on its own queue, and the better one wins', async () => {
    const scores = {
      scores: [
        { candidate: 'A', correctness: 3, reasoning: 3, tests: 5, confidence: 3, why: 'misses the rounding' },
        { candidate: 'B', correctness: 9, reasoning: 8, tests: 9, confidence: 8, why: 'complete' },
      ],
    };
    wf.script(
      passing('3-2', 'green', { model: MODELS.members[0] }),
      passing('3-2', 'green', { model: MODELS.members[1] }),
      { match: { key: '3-2', role: 'judge' }, turns: [{ content: JSON.stringify(scores) }] },
      failing('3-2', 'green'),
    );
    const subtask = await wf.start(await wf.project(), {
      key: '3-2',
      settings: { maxAttempts: 1 },
      ladder: { council: { ...council, strategy: 'best_reasoning', judge: [MODELS.spare] } },
    });
    expect(await subtask.handle.result()).toMatchObject({ status: 'completed' });
    const final = await wf.state(subtask);
    expect(final.council).toMatchObject({ status: 'decided', winner: MODELS.members[1] });

    const councilHandle = wf.client.workflow.getHandle(`council-${subtask.workflowId}-green-1`);
    expect((await activities(councilHandle, 'prepareJudging')).map((activity) => activity.end)).toEqual(['completed']);
    expect(await activities(councilHandle, 'askModelStep')).toMatchObject([
      { taskQueue: `maestro-model-${MODELS.spare}`, end: 'completed', input: { meta: { purpose: 'judge' } } },
    ]);
    expect(
      (await activities(councilHandle, 'readJudgeScores')).map((activity) => [activity.input.candidates, activity.end]),
    ).toEqual([[[...MODELS.members], 'completed']]);
    expect(await activities(councilHandle, 'judgeCandidates')).toEqual([]);
    // The judge's call is in the ledger once, under the council's id.
    expect(
      await wf.prisma.modelCall.count({ where: { subtaskId: subtask.subtaskId, purpose: 'judge', outcome: 'ok' } }),
    ).toBe(1);
    await recordHistory(councilHandle, 'council-judged');
  });
});

describe('tier 4: a person', () => {
  test('after the review and a council without a winner, a person gets an escalation with its options; retrying with another model goes on with it', async () => {
    wf.script(
      review('4-1'),
      passing('4-1', 'green', { model: MODELS.spare, taskIncludes: 'try the spare model' }),
      failing('4-1', 'green'),
    );
    const subtask = await wf.start(await wf.project(), {
      key: '4-1',
      settings: { maxAttempts: 1 },
      ladder: { strategicReview: true, reviewAttempts: 1, council },
    });
    const blocked = await wf.waitFor(subtask, (state) => state.status === 'blocked', 'the ladder to reach a person');

    expect(blocked).toMatchObject({
      escalationTier: 4,
      attempt: 2,
      // maxAttempts 1, and the review's one more: `subtask status` says "attempt 2 of 2".
      maxAttempts: 2,
      council: { status: 'failed' },
      blocked: { tier: 4, options: ['retry_with_model', 'retry', 'skip', 'cancel'] },
    });
    expect(blocked.blocked!.details!.retry_with_model).toMatch(/member-c has not tried this phase/);
    expect(blocked.blocked!.reason).toMatch(
      /^2 attempt\(s\) of green failed \(with a strategic review\); the council \(member-a, member-b\) found no candidate that passes: .*; last: /,
    );
    const escalation = await wf.prisma.escalation.findFirstOrThrow({ where: { subtaskId: subtask.subtaskId } });
    expect(escalation).toMatchObject({ tier: 4, status: 'open', recommendedOption: 'retry_with_model' });
    expect((escalation.options as Array<{ id: string }>).map((option) => option.id)).toEqual([
      'retry_with_model',
      'retry',
      'skip',
      'cancel',
    ]);
    expect(await children(subtask.handle)).toEqual([`council-${subtask.workflowId}-green-1`]);

    await subtask.handle.executeUpdate(overrideUpdate, {
      args: [{ action: 'retry', actor: 'user:ann', model: MODELS.spare, hint: 'try the spare model' }],
    });
    expect(await subtask.handle.result()).toMatchObject({ status: 'completed' });
    const final = await wf.state(subtask);
    expect(final.model).toEqual({ id: MODELS.spare, reason: 'chosen by a person for this phase' });
    const last = wf.scripted.requests
      .filter((request) => request.key === '4-1' && request.role === 'developer')
      .at(-1)!;
    expect([last.model, last.attempt]).toEqual([MODELS.spare, 1]);
    expect(await wf.prisma.escalation.findUniqueOrThrow({ where: { id: escalation.id } })).toMatchObject({
      status: 'resolved',
      chosenOption: 'retry',
      resolvedBy: 'user:ann',
    });
    expect((await wf.events(subtask)).map((event) => event.kind)).toContain('routing.chosen');
  });
});

describe('the tiers a phase may climb', () => {
  const failingReview = (key: string) => ({ match: { key, role: 'orchestrator' }, turns: [{ httpStatus: 400 }] });
  const answeredReview = (key: string, content: string) => ({
    match: { key, role: 'orchestrator' },
    turns: [{ content }],
  });
  const REVIEWS: Record<string, ScriptedConversation> = {
    '6-5': failingReview('6-5'),
    '6-6': answeredReview('6-6', "I'm sorry, but I can't help with that."),
    '6-7': answeredReview('6-7', ''),
  };
  test.each([
    {
      key: '6-1',
      what: 'the review only',
      ladder: { strategicReview: true },
      reviewed: true,
      councils: 0,
      tier: 4,
      attempts: 2,
      note: /^2 attempt\(s\) of green failed \(with a strategic review\); last: /,
    },
    {
      key: '6-2',
      what: 'the council only',
      ladder: { council },
      reviewed: false,
      councils: 1,
      tier: 4,
      attempts: 1,
      note: /; the council \(member-a, member-b\) found no candidate that passes: /,
    },
    {
      key: '6-3',
      what: 'both, switched off for green',
      ladder: { strategicReview: true, council, phases: { green: { strategicReview: false, council: false } } },
      reviewed: false,
      councils: 0,
      tier: 1,
      attempts: 1,
      note: /^1 attempt\(s\) of green failed; last: /,
    },
    {
      key: '6-4',
      what: 'a council of one model',
      ladder: { council: { ...council, members: ['member-a'] } },
      reviewed: false,
      councils: 0,
      tier: 4,
      attempts: 1,
      note: /; no council: it needs two models that can be called, and only member-a can; /,
    },
    {
      key: '6-5',
      what: 'a review that fails',
      ladder: { strategicReview: true },
      reviewed: false,
      councils: 0,
      tier: 4,
      attempts: 1,
      note: /; the strategic review failed \(.+\); last: /,
    },
    // A review that only declines, or says nothing, gives nothing: no more attempts, the ladder goes on up.
    {
      key: '6-6',
      what: 'a review that declines',
      ladder: { strategicReview: true },
      reviewed: false,
      councils: 0,
      tier: 4,
      attempts: 1,
      note: /; the strategic review failed \(scripted gave no guidance: it declined: "I'm sorry, but I can't help with that\."\); last: /,
    },
    {
      key: '6-7',
      what: 'a review with an empty answer',
      ladder: { strategicReview: true },
      reviewed: false,
      councils: 0,
      tier: 4,
      attempts: 1,
      note: /; the strategic review failed \(scripted gave no guidance: its answer was empty\); last: /,
    },
  ])(
    '$what: a person is asked at tier $tier after $attempts attempt(s)',
    async ({ key, ladder, reviewed, councils, tier, attempts, note }) => {
      wf.script(REVIEWS[key] ?? review(key), failing(key, 'green'));
      const subtask = await wf.start(await wf.project(), { key, settings: { maxAttempts: 1 }, ladder });
      const blocked = await wf.waitFor(subtask, (state) => state.status === 'blocked', 'a person to be asked');
      expect(blocked).toMatchObject({ attempt: attempts, maxAttempts: attempts, blocked: { tier } });
      expect(blocked.blocked!.reason).toMatch(note);
      expect((await children(subtask.handle)).length).toBe(councils);
      const kinds = (await wf.events(subtask)).map((event) => event.kind);
      expect(kinds.includes('escalation.guidance')).toBe(reviewed);
      if (key === '6-6' || key === '6-7') {
        expect(blocked.guidance).toBeUndefined();
        expect(kinds).toContain('escalation.review_failed');
        // Answered and paid once: no guidance is final, the review is not asked again.
        expect((await activities(subtask.handle, 'askModelStep')).map((activity) => activity.end)).toEqual([
          'completed',
        ]);
        expect(await wf.prisma.modelCall.count({ where: { subtaskId: subtask.subtaskId, purpose: 'strategic' } })).toBe(
          1,
        );
      }
      await subtask.handle.executeUpdate(overrideUpdate, { args: [cancel] });
      expect((await outcomeOf(subtask.handle)).status).toBe('cancelled');
    },
  );
});

describe('reminders', () => {
  test('while nobody answers, a reminder every reminderMs goes to the log and the escalation; the answer stops them', async () => {
    wf.script(failing('5-1', 'green'));
    const subtask = await wf.start(await wf.project(), {
      key: '5-1',
      settings: { maxAttempts: 1 },
      ladder: { reminderMs: 300 },
    });
    await wf.waitFor(subtask, (state) => state.status === 'blocked', 'a person to be asked');
    const reminded = async () =>
      (await wf.prisma.escalation.findFirst({ where: { subtaskId: subtask.subtaskId } }))?.reminders ?? 0;
    for (const deadline = Date.now() + 30_000; (await reminded()) < 3;) {
      if (Date.now() > deadline) throw new Error(`only ${await reminded()} reminder(s) in 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await subtask.handle.executeUpdate(overrideUpdate, {
      args: [{ action: 'skip', actor: 'user:ann', reason: 'green is not needed' }],
    });
    expect(await subtask.handle.result()).toMatchObject({ status: 'completed' });

    const escalation = await wf.prisma.escalation.findFirstOrThrow({ where: { subtaskId: subtask.subtaskId } });
    const reminders = (await wf.events(subtask)).filter((event) => event.kind === 'escalation.reminder');
    expect(escalation.reminders).toBeGreaterThanOrEqual(3);
    expect(reminders.map((event) => event.message)).toEqual(
      Array.from({ length: escalation.reminders }, (_, index) =>
        expect.stringMatching(new RegExp(`^still waiting for a person \\(reminder ${index + 1}\\): `)),
      ),
    );
    // One timer of reminderMs per reminder, and one more that the answer cut short.
    expect(await timers(subtask.handle)).toEqual(Array.from({ length: escalation.reminders + 1 }, () => 300));
    expect(escalation).toMatchObject({ status: 'resolved', chosenOption: 'skip' });
    expect((await wf.state(subtask)).skipped).toEqual(['green']);
  });

  // With reminders off (reminderMs 0, also the ladder of subtasks started before the ladder existed)
  // the wait is a condition without a timeout: an answer must end it without any reminder.
  test('with reminders off, an answered escalation ends the wait without any reminder', async () => {
    wf.script(failing('5-2', 'green'));
    const subtask = await wf.start(await wf.project(), {
      key: '5-2',
      settings: { maxAttempts: 1 },
      ladder: { reminderMs: 0 },
    });
    try {
      await wf.waitFor(subtask, (state) => state.status === 'blocked', 'a person to be asked');
      // Not awaited: with the bug, the workflow task that took it never completes its loop of writes.
      const answered = subtask.handle.executeUpdate(overrideUpdate, { args: [cancel] }).catch(() => undefined);
      // Until it ends, or the first reminder is written (then the loop is stopped at once: it floods the log).
      let ended = false;
      void outcomeOf(subtask.handle).then(
        () => (ended = true),
        () => undefined,
      );
      const reminders = () =>
        wf.prisma.activityEvent.count({ where: { workflowId: subtask.workflowId, kind: 'escalation.reminder' } });
      for (const deadline = Date.now() + 15_000; !ended && (await reminders()) === 0 && Date.now() < deadline;)
        await new Promise((resolve) => setTimeout(resolve, 20));
      expect({ ended, reminders: await reminders() }).toEqual({ ended: true, reminders: 0 });
      await answered;
      await recordHistory(subtask.handle, 'answered-without-reminders');
    } finally {
      await subtask.handle.terminate('the test is over').catch(() => undefined);
    }
  });
});
