import { TRPCClientError } from '@trpc/client';
import { afterAll, describe, expect, inject, test } from 'vitest';
import { disconnectPrisma, prismaFor } from '../data/prisma.js';
import { TASK_QUEUES } from '../domain/queues.js';
import { eventually } from './support/maestro-process.js';
import {
  appendEvent,
  opsApi,
  sampleProject,
  subtaskEscalated,
  subtaskWaitingForApproval,
  uniqueName,
} from './support/ops.js';

const shared = inject('sharedStack');
const api = opsApi(shared.apiUrl);
const prisma = prismaFor(shared.databaseUrl);

afterAll(async () => {
  await disconnectPrisma();
});

async function refusal(call: Promise<unknown>) {
  const error = await call.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TRPCClientError);
  return { code: (error as { data?: { code?: string } }).data?.code ?? '', message: (error as Error).message };
}

describe('activity timings', () => {
  test('the workers time every activity they run, local ones too', async () => {
    // The demo subtask runs on the shared stack: its agents, checks and writes are all activities.
    const runs = await eventually(
      async () => {
        // Its agents' runs are child workflows, named after it.
        const rows = await prisma.activityRun.findMany({ where: { workflowId: { startsWith: 'subtask-demo-1-1' } } });
        const ran = (role: string, activityType: string) =>
          rows.some((row) => row.role === role && row.activityType === activityType);
        return ran('tester', 'prepareAgentRun') &&
          ran('tester', 'runAgentTool') &&
          ran('runner', 'runCheck') &&
          rows.some((row) => row.local)
          ? rows
          : undefined;
      },
      120_000,
      'the demo subtask’s activities to be timed',
    );
    // The tester's first agent run (red) is prepared on its queue: the first execution of its activity, Temporal's attempt 1.
    const agent = runs
      .filter((row) => row.activityType === 'prepareAgentRun' && row.role === 'tester')
      .sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime())[0]!;
    expect(agent).toMatchObject({
      taskQueue: TASK_QUEUES.tester,
      workflowType: 'agentRunWorkflow',
      outcome: 'ok',
      local: false,
      errorType: null,
      attempt: 1,
    });
    expect(agent.durationMs).toBe(agent.endedAt.getTime() - agent.startedAt.getTime());
    expect(runs.find((row) => row.local)).toMatchObject({ role: 'workflows', taskQueue: TASK_QUEUES.workflows });
  });

  test('bottlenecks and role metrics compute p50/p95/p99, throughput and failure rates in SQL', async () => {
    const role = uniqueName('probe');
    const now = Date.now();
    // Durations 10, 20 … 1000 ms; every tenth fails, one is cancelled.
    await prisma.activityRun.createMany({
      data: Array.from({ length: 100 }, (_, index) => ({
        activityType: 'percentileProbe',
        taskQueue: `maestro-${role}`,
        role,
        attempt: 1,
        startedAt: new Date(now - 30_000 - (index + 1) * 10),
        endedAt: new Date(now - 30_000),
        durationMs: (index + 1) * 10,
        outcome: index % 10 === 9 ? 'failed' : index === 0 ? 'cancelled' : 'ok',
        errorType: index % 10 === 9 ? 'AssertionError' : null,
      })),
    });
    await prisma.activityRun.createMany({
      data: [5, 15].map((durationMs) => ({
        activityType: 'fastProbe',
        taskQueue: `maestro-${role}`,
        role,
        attempt: 1,
        startedAt: new Date(now - 1_000),
        endedAt: new Date(now - 1_000),
        durationMs,
        outcome: 'ok',
      })),
    });

    const { activities } = await api.metrics.bottlenecks.query({ role, limit: 5 });
    expect(activities.map((row) => row.activityType)).toEqual(['percentileProbe', 'fastProbe']);
    // percentile_cont interpolates: p50 of 10…1000 is 505, p95 950.5, p99 990.1.
    expect(activities[0]).toMatchObject({
      roles: [role],
      runs: 100,
      failed: 10,
      cancelled: 1,
      failureRate: 0.1,
      p50: 505,
      p95: 950.5,
      p99: 990.1,
      maxMs: 1000,
      totalMs: 50_500,
    });
    expect(activities[1]).toMatchObject({ runs: 2, p50: 10, p95: 14.5, p99: 14.9 });
    expect((await api.metrics.bottlenecks.query({ role, limit: 1 })).activities).toHaveLength(1);
    // A window after the runs holds none of them.
    expect((await api.metrics.bottlenecks.query({ role, since: new Date(now + 1_000) })).activities).toEqual([]);

    const metrics = await api.metrics.role.query({ role });
    expect(metrics).toMatchObject({
      role,
      runs: 102,
      failed: 10,
      cancelled: 1,
      lastMinute: 102,
      lastHour: 102,
      failureRate: 0.098,
    });
    expect(metrics.perHour).toBeCloseTo(102, 0);
    expect(metrics.series.reduce((sum, point) => sum + point.runs, 0)).toBe(102);
    expect(metrics.series.reduce((sum, point) => sum + point.failed, 0)).toBe(10);
    expect(metrics.activities.find((row) => row.activityType === 'percentileProbe')).toMatchObject({
      runs: 100,
      failed: 10,
      failureRate: 0.1,
      p50: 505,
      p95: 950.5,
    });

    const summary = await api.metrics.roles.query({});
    expect(summary.roles.find((row) => row.role === role)).toMatchObject({ runs: 102, failed: 10, failureRate: 0.098 });
    expect(summary.roles.find((row) => row.role === 'tester')?.runs).toBeGreaterThan(0);

    expect((await refusal(api.metrics.role.query({ role: 'Not A Role' }))).code).toBe('BAD_REQUEST');
  });
});

describe('the audit log', () => {
  test('filters by project, subtask, actor and kind, searches full text with stemming, and pages back', async () => {
    const project = uniqueName('log');
    await sampleProject(api, project);
    const word = `zebra${Math.random().toString(36).slice(2, 8)}`;
    const ids = [
      await appendEvent(shared, {
        project,
        kind: 'probe.alpha',
        actor: 'user:alice',
        message: `the ${word} check failed twice`,
      }),
      await appendEvent(shared, { project, kind: 'probe.beta', actor: 'tester', message: `${word} tests are failing` }),
      await appendEvent(shared, {
        project,
        kind: 'other.gamma',
        actor: 'user:bob',
        message: `all good with the ${word}`,
      }),
    ];

    const all = await api.events.list.query({ project });
    expect(all.events.map((event) => event.id)).toEqual([...ids].reverse());
    expect(all.events[0]).toMatchObject({
      project,
      subtask: null,
      actor: 'user:bob',
      kind: 'other.gamma',
      message: `all good with the ${word}`,
    });

    const messages = async (filter: Parameters<typeof api.events.list.query>[0]) =>
      (await api.events.list.query({ project, ...filter })).events.map((event) => event.message);
    // `fail` finds failed and failing (English stemming); phrases and exclusions work too.
    expect(await messages({ search: `${word} fail` })).toEqual([
      `${word} tests are failing`,
      `the ${word} check failed twice`,
    ]);
    expect(await messages({ search: `"${word} check"` })).toEqual([`the ${word} check failed twice`]);
    expect(await messages({ search: `${word} -fail` })).toEqual([`all good with the ${word}`]);
    // The kind and the actor are searched too, and filtered on.
    expect(await messages({ search: 'beta' })).toEqual([`${word} tests are failing`]);
    expect(await messages({ kind: 'probe' })).toHaveLength(2);
    expect(await messages({ kind: 'probe.alpha' })).toEqual([`the ${word} check failed twice`]);
    expect(await messages({ actor: 'user:*' })).toEqual([
      `all good with the ${word}`,
      `the ${word} check failed twice`,
    ]);
    expect(await messages({ actor: 'tester' })).toEqual([`${word} tests are failing`]);
    // Without a project filter the search still finds them, across the whole log.
    expect((await api.events.list.query({ search: word })).events).toHaveLength(3);

    const first = await api.events.list.query({ project, limit: 2 });
    expect(first.events.map((event) => event.id)).toEqual([ids[2], ids[1]]);
    const second = await api.events.list.query({ project, limit: 2, before: first.nextBefore! });
    expect(second).toEqual({ events: [expect.objectContaining({ id: ids[0] })], nextBefore: null });

    expect(await refusal(api.events.list.query({ project: uniqueName('missing') }))).toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(/^No project named/),
    });
    expect(await refusal(api.events.list.query({ subtask: '1-1' }))).toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining('needs its project'),
    });
  });

  test('onEvents sends the backlog first, then new events as they are written', async () => {
    const project = uniqueName('live');
    await sampleProject(api, project);
    const before = [
      await appendEvent(shared, { project, kind: 'probe.one', message: 'first' }),
      await appendEvent(shared, { project, kind: 'probe.two', message: 'second' }),
    ];
    const received: Array<{ id: string; message: string }> = [];
    const subscription = api.events.onEvents.subscribe(
      { project, backlog: 5 },
      {
        onData: (tracked) => received.push({ id: tracked.id, message: tracked.data.message }),
        onError: (error) => received.push({ id: 'error', message: String(error) }),
      },
    );
    try {
      await eventually(() => (received.length >= 2 ? true : undefined), 15_000, 'the backlog');
      expect(received).toEqual([
        { id: before[0], message: 'first' },
        { id: before[1], message: 'second' },
      ]);
      await appendEvent(shared, { kind: 'probe.noise', message: 'not this project' });
      const third = await appendEvent(shared, { project, kind: 'probe.three', message: 'third' });
      await eventually(() => (received.length >= 3 ? true : undefined), 15_000, 'the new event');
      expect(received[2]).toEqual({ id: third, message: 'third' });
      expect(received.map((event) => event.message)).not.toContain('not this project');
    } finally {
      subscription.unsubscribe();
    }
  });
});

describe('the inboxes', () => {
  test('a high-risk subtask waits in the approvals inbox until it is approved', async () => {
    const project = uniqueName('inbox-appr');
    const started = Date.now();
    const approval = await subtaskWaitingForApproval(api, project);
    const found = Date.now();
    expect(approval).toMatchObject({
      gate: 'plan',
      project,
      subtask: { key: '1-1', title: 'Add tax to the cart total', risk: 'high', workflowId: `subtask-${project}-1-1` },
      requestedBy: 'orchestrator',
      startedBy: 'user:local',
    });
    // Requested after the test started the subtask; waiting since then, as of the query that found it.
    const requestedAt = Date.parse(approval.requestedAt);
    expect(requestedAt).toBeGreaterThanOrEqual(started);
    expect(requestedAt).toBeLessThanOrEqual(found);
    expect(approval.waitingMs).toBeLessThanOrEqual(found - requestedAt);
    const before = Date.now();
    const [again] = await api.inbox.approvals.query({ project });
    const after = Date.now();
    expect(again!.waitingMs).toBeGreaterThanOrEqual(before - requestedAt);
    expect(again!.waitingMs).toBeLessThanOrEqual(after - requestedAt);
    const all = await api.inbox.approvals.query();
    const positions = all.map((row) => row.requestedAt);
    expect([...positions].sort()).toEqual(positions);
    expect((await api.inbox.counts.query({ project })).approvals).toBe(1);

    // An override right on the heels of the approval is not lost, though its workflow task may be (Temporal then asks to send it again).
    await api.subtask.approve.mutate({ project, key: '1-1', comment: 'go ahead' });
    expect((await api.inbox.approvals.query({ project })).length).toBe(0);
    await api.subtask.override.mutate({
      project,
      key: '1-1',
      override: { action: 'cancel', reason: 'the inbox test is done' },
    });
    await eventually(
      async () => ((await api.subtask.state.query({ project, key: '1-1' })).status === 'cancelled' ? true : undefined),
      30_000,
      'the cancel',
    );
  });

  test('an escalation lists its options, and is answered with one of them', async () => {
    const project = uniqueName('inbox-esc');
    const escalation = await subtaskEscalated(api, project);
    expect(escalation).toMatchObject({
      project,
      phase: 'setup',
      tier: 1,
      reason: expect.stringContaining('`false` failed'),
      recommendedOption: 'retry',
      reminders: 0,
      startedBy: 'user:local',
      subtask: { key: '1-1', status: 'blocked' },
    });
    expect(escalation.options).toEqual([
      { id: 'retry', label: 'Retry the phase (with a hint)', detail: null, recommended: true },
      { id: 'cancel', label: 'Cancel the subtask', detail: null, recommended: false },
    ]);

    // An option it does not offer is refused, saying what it offers.
    expect(
      await refusal(api.escalation.answer.mutate({ id: escalation.id, option: 'skip', reason: 'try skipping' })),
    ).toMatchObject({
      code: 'BAD_REQUEST',
      message: `Escalation ${escalation.id} offers retry, cancel; not skip.`,
    });
    expect((await refusal(api.escalation.answer.mutate({ id: escalation.id, option: 'retry', reason: '' }))).code).toBe(
      'BAD_REQUEST',
    );

    const answered = await api.escalation.answer.mutate({
      id: escalation.id,
      option: 'retry',
      reason: 'the registry was down',
      hint: 'install again',
    });
    expect(answered).toMatchObject({
      escalationId: escalation.id,
      option: 'retry',
      override: 'retry',
      workflowId: `subtask-${project}-1-1`,
    });
    const resolved = await prisma.escalation.findUniqueOrThrow({ where: { id: escalation.id } });
    expect(resolved).toMatchObject({
      status: 'resolved',
      chosenOption: 'retry',
      resolvedBy: 'user:local',
      comment: 'install again',
    });
    expect(
      await refusal(api.escalation.answer.mutate({ id: escalation.id, option: 'retry', reason: 'again' })),
    ).toMatchObject({
      code: 'PRECONDITION_FAILED',
      message: expect.stringContaining('is resolved already by user:local (retry)'),
    });

    // The install fails again: a new escalation, answered by cancelling.
    const next = await eventually(
      async () => (await api.inbox.escalations.query({ project })).find((row) => row.id !== escalation.id),
      60_000,
      'the second escalation',
    );
    await api.escalation.answer.mutate({ id: next.id, option: 'cancel', reason: 'the project is broken' });
    await eventually(
      async () => ((await api.inbox.escalations.query({ project })).length === 0 ? true : undefined),
      30_000,
      'the escalation to leave the inbox',
    );
    expect(await prisma.escalation.findUniqueOrThrow({ where: { id: next.id } })).toMatchObject({
      status: 'withdrawn',
      chosenOption: 'cancel',
    });
    // The failed installs were timed as failed activity runs.
    const failed = await prisma.activityRun.findMany({
      where: { workflowId: `subtask-${project}-1-1`, activityType: 'runBaseline', outcome: 'failed' },
    });
    expect(failed.length).toBeGreaterThanOrEqual(2);
    expect(failed[0]!.errorType).toBe('Error');

    expect(
      (
        await refusal(
          api.escalation.answer.mutate({
            id: '01a2035b-652b-737d-81c6-917e1abc4b6b',
            option: 'cancel',
            reason: 'nothing',
          }),
        )
      ).code,
    ).toBe('NOT_FOUND');
  });
});

describe('queues and budgets', () => {
  test('queues.list gives each queue its backlog and its pollers', async () => {
    const { queues } = await api.queues.list.query();
    const roleQueues = Object.values(TASK_QUEUES).filter((queue) => !queue.endsWith('*'));
    expect(queues.slice(0, roleQueues.length).map((queue) => queue.taskQueue)).toEqual(roleQueues);
    expect(queues.map((queue) => queue.taskQueue)).toContain('maestro-model-scripted-demo');
    for (const queue of queues) {
      expect(queue.error).toBeUndefined();
      expect(queue.backlog).toEqual({
        count: expect.any(Number),
        ageMs: expect.any(Number),
        addRate: expect.any(Number),
        dispatchRate: expect.any(Number),
      });
      expect(queue.pollers.some((poller) => poller.live && /^\d+@.+\/maestro:/.test(poller.identity))).toBe(true);
    }
  });

  test('costs.budgets gives every project its tiers, spend and tier', async () => {
    const budgets = await api.costs.budgets.query();
    expect(budgets.projects.find((budget) => budget.project === 'demo')).toMatchObject({
      limits: { softUsd: 20, hardUsd: 50, emergencyUsd: 100 },
      tier: 'ok',
    });
    expect(budgets.council).toMatchObject({ dailyUsd: 5, exhausted: false });
  });
});
