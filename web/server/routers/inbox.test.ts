import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { person, refusal, routerHarness } from '../../../test/support/router-caller.js';
import { pendingApprovals } from '../inbox.js';

let harness: Awaited<ReturnType<typeof routerHarness>>;
beforeAll(async () => {
  harness = await routerHarness(inject('sharedStack'));
});
afterAll(async () => {
  await harness.close();
});

const OPTIONS = [
  { id: 'retry', label: 'Retry the phase (with a hint)' },
  { id: 'skip', label: 'Skip the phase', detail: 'green is skipped; refactor starts on the red commit' },
  { id: 'cancel', label: 'Cancel the subtask' },
];

describe('the inboxes', () => {
  test('approvals and escalations of open subtasks wait, oldest first, with who started them and how long they wait', async () => {
    const project = await harness.project('inbox');
    const ago = (ms: number) => new Date(Date.now() - ms);
    const merge = await harness.subtask(project, '1-1', {
      status: 'ready_for_review',
      risk: 'medium',
      phase: 'complete',
      title: 'Add tax',
    });
    const plan = await harness.subtask(project, '1-2', { status: 'pending', risk: 'high', title: 'Rework checkout' });
    const finished = await harness.subtask(project, '1-3', { status: 'completed' });
    const blocked = await harness.subtask(project, '1-4', {
      status: 'blocked',
      phase: 'green',
      title: 'Round the total',
    });
    const mergeApproval = await harness.prisma.approval.create({
      data: { subtaskId: merge.id, gate: 'merge', requestedAt: ago(60_000) },
    });
    const planApproval = await harness.prisma.approval.create({
      data: { subtaskId: plan.id, gate: 'plan', requestedAt: ago(120_000) },
    });
    // Not waiting: decided, or its subtask has ended.
    await harness.prisma.approval.create({
      data: {
        subtaskId: merge.id,
        gate: 'plan',
        status: 'approved',
        requestedAt: ago(300_000),
        decidedAt: ago(290_000),
        decidedBy: 'user:zoe',
      },
    });
    await harness.prisma.approval.create({
      data: { subtaskId: finished.id, gate: 'merge', requestedAt: ago(200_000) },
    });
    const remindedAt = ago(10_000);
    const escalation = await harness.prisma.escalation.create({
      data: {
        subtaskId: blocked.id,
        phase: 'green',
        tier: 4,
        reason: '3 attempt(s) of green failed',
        options: OPTIONS,
        recommendedOption: 'retry',
        reminders: 2,
        remindedAt,
        createdAt: ago(30_000),
      },
    });
    await harness.prisma.escalation.create({
      data: {
        subtaskId: blocked.id,
        phase: 'setup',
        tier: 1,
        reason: 'install failed',
        options: OPTIONS,
        status: 'resolved',
        createdAt: ago(400_000),
      },
    });
    await harness.prisma.escalation.create({
      data: {
        subtaskId: finished.id,
        phase: 'verify',
        tier: 1,
        reason: 'stale',
        options: OPTIONS,
        createdAt: ago(500_000),
      },
    });
    await harness.prisma.activityEvent.create({
      data: {
        projectId: project.id,
        subtaskId: merge.id,
        actor: 'user:sam',
        kind: 'subtask.started',
        message: 'subtask 1-1 started',
      },
    });

    const reader = harness.as(person('rita', 'reader'));
    const before = Date.now();
    const approvals = await reader.inbox.approvals({ project: project.name });
    const after = Date.now();
    expect(approvals).toEqual([
      {
        id: planApproval.id,
        gate: 'plan',
        project: project.name,
        subtask: {
          id: plan.id,
          key: '1-2',
          title: 'Rework checkout',
          risk: 'high',
          status: 'pending',
          phase: null,
          workflowId: plan.workflowId,
        },
        requestedAt: planApproval.requestedAt.toISOString(),
        waitingMs: expect.any(Number),
        requestedBy: 'orchestrator',
        startedBy: null,
        // A rejected plan starts again at the first phase.
        returnTo: ['red'],
      },
      expect.objectContaining({
        id: mergeApproval.id,
        gate: 'merge',
        subtask: expect.objectContaining({ key: '1-1', status: 'ready_for_review', phase: 'complete' }),
        startedBy: 'user:sam',
        // The project has no integrationTestCommand: no integration phase to send it back to.
        returnTo: ['red', 'green', 'refactor', 'verify'],
      }),
    ]);
    for (const [approval, row] of [
      [approvals[0]!, planApproval],
      [approvals[1]!, mergeApproval],
    ] as const) {
      expect(approval.waitingMs).toBeGreaterThanOrEqual(before - row.requestedAt.getTime());
      expect(approval.waitingMs).toBeLessThanOrEqual(after - row.requestedAt.getTime());
    }
    expect((await reader.inbox.approvals({ project: project.name, limit: 1 })).map((row) => row.id)).toEqual([
      planApproval.id,
    ]);
    // With the subtask's own plan (its workflow answers), the phases it runs, not the defaults.
    const ownPlan = await pendingApprovals(harness.prisma, { project: project.name, limit: 200 }, Date.now(), (id) =>
      Promise.resolve(
        id === merge.workflowId
          ? { runs: ['red', 'green', 'integration_red', 'integration_green', 'complete'], leftOut: [] }
          : undefined,
      ),
    );
    expect(ownPlan.map((row) => row.returnTo)).toEqual([
      ['red'],
      ['red', 'green', 'integration_red', 'integration_green'],
    ]);
    // A workflow that cannot be asked: the project's defaults.
    const unasked = await pendingApprovals(harness.prisma, { project: project.name, limit: 200 }, Date.now(), () =>
      Promise.reject(new Error('no worker')),
    );
    expect(unasked.map((row) => row.returnTo)).toEqual([['red'], ['red', 'green', 'refactor', 'verify']]);

    const escalations = await reader.inbox.escalations({ project: project.name });
    expect(escalations).toEqual([
      expect.objectContaining({
        id: escalation.id,
        project: project.name,
        subtask: expect.objectContaining({ key: '1-4', status: 'blocked', phase: 'green', title: 'Round the total' }),
        phase: 'green',
        tier: 4,
        reason: '3 attempt(s) of green failed',
        recommendedOption: 'retry',
        reminders: 2,
        remindedAt: remindedAt.toISOString(),
        createdAt: escalation.createdAt.toISOString(),
        startedBy: null,
        options: [
          { id: 'retry', label: 'Retry the phase (with a hint)', detail: null, recommended: true },
          {
            id: 'skip',
            label: 'Skip the phase',
            detail: 'green is skipped; refactor starts on the red commit',
            recommended: false,
          },
          { id: 'cancel', label: 'Cancel the subtask', detail: null, recommended: false },
        ],
      }),
    ]);
    expect(escalations[0]!.waitingMs).toBeGreaterThanOrEqual(30_000);
    expect(await reader.inbox.counts({ project: project.name })).toEqual({ approvals: 2, escalations: 1 });

    // The subtasks end: nothing of theirs waits any more, whatever their old rows say.
    await harness.prisma.subtask.updateMany({ where: { projectId: project.id }, data: { status: 'cancelled' } });
    expect(await reader.inbox.counts({ project: project.name })).toEqual({ approvals: 0, escalations: 0 });
    expect(await reader.inbox.approvals({ project: project.name })).toEqual([]);
  });

  test('a limit out of range or a bad project name is refused; nobody recognised reads nothing', async () => {
    const reader = harness.as(person('rita', 'reader'));
    expect((await refusal(reader.inbox.approvals({ limit: 0 }))).issues).toEqual([
      { path: 'limit', message: expect.stringContaining('>=1') },
    ]);
    expect((await refusal(reader.inbox.escalations({ limit: 501 }))).issues).toEqual([
      { path: 'limit', message: expect.stringContaining('<=500') },
    ]);
    expect((await refusal(reader.inbox.counts({ project: 'Not A Project' }))).issues).toEqual([
      { path: 'project', message: 'use lower-case letters, digits and dashes (at most 40), like shop or web-app' },
    ]);
    expect(await refusal(harness.as(null).inbox.counts())).toMatchObject({ code: 'UNAUTHORIZED' });
  });
});
