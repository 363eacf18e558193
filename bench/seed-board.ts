/**
 * Fills a database with a realistic board: projects, subtasks in every status, their activity log,
 * model calls, open approvals and escalations. For the console benchmark and for looking at a busy
 * console; the rows are plain data (no workflows run behind them).
 */
import { randomUUID } from 'node:crypto';
import { buildChecklist, checklistProgress } from '../domain/checklist.js';
import type { SubtaskStatus } from '../domain/lifecycle.js';
import { formatUsdExact } from '../domain/money.js';
import { DEFAULT_PHASES } from '../domain/phases.js';
import { Prisma, type PrismaClient } from '../data/prisma.js';

export interface SeedOptions {
  subtasks: number;
  projects?: string[];
  eventsPerSubtask?: number;
  callsPerSubtask?: number;
  /** Keys are `<prefix><n>-1`: several seeds can share a database. */
  keyPrefix?: string;
}

const VERBS = [
  'Add',
  'Fix',
  'Refactor',
  'Speed up',
  'Validate',
  'Cache',
  'Paginate',
  'Log',
  'Retry',
  'Localise',
  'Export',
  'Import',
  'Audit',
  'Secure',
];
const THINGS = [
  'the cart total',
  'tax rounding',
  'the checkout summary',
  'invoice numbering',
  'discount codes',
  'shipping rates',
  'the order history',
  'refund requests',
  'the product search',
  'stock reservations',
  'gift cards',
  'currency conversion',
  'the payment webhook',
  'customer addresses',
  'the loyalty points',
  'CSV reports',
];
// The shape of a real board: most work done, some in flight, a few waiting for people.
const STATUS_WEIGHTS: Array<[SubtaskStatus, number]> = [
  ['completed', 52],
  ['in_progress', 12],
  ['testing', 7],
  ['ready_for_review', 6],
  ['blocked', 4],
  ['failed', 3],
  ['retrying', 3],
  ['pending', 8],
  ['cancelled', 5],
];
const RISKS = ['low', 'medium', 'high'] as const;
const WORK_PHASES = DEFAULT_PHASES.filter((phase) => phase.name !== 'complete');

/** A deterministic pseudo-random sequence, so two seeds of the same size look the same. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

export async function seedBoard(
  prisma: PrismaClient,
  options: SeedOptions,
): Promise<{ subtasks: number; events: number; modelCalls: number }> {
  const next = random(options.subtasks);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const weighted = (): SubtaskStatus => {
    let roll = next() * STATUS_WEIGHTS.reduce((sum, [, weight]) => sum + weight, 0);
    for (const [status, weight] of STATUS_WEIGHTS) if ((roll -= weight) < 0) return status;
    return 'completed';
  };
  const projectNames = options.projects ?? ['shop', 'billing', 'search', 'mobile-api', 'warehouse'];
  const projects = await Promise.all(
    projectNames.map((name) =>
      prisma.project.upsert({
        where: { name },
        create: { name, repoPath: `/srv/repos/${name}`, testCommand: 'npm test' },
        update: {},
        select: { id: true, name: true },
      }),
    ),
  );
  const now = Date.now();
  const subtasks: Prisma.SubtaskCreateManyInput[] = [];
  const events: Prisma.ActivityEventCreateManyInput[] = [];
  const calls: Prisma.ModelCallCreateManyInput[] = [];
  const approvals: Prisma.ApprovalCreateManyInput[] = [];
  const escalations: Prisma.EscalationCreateManyInput[] = [];
  for (let index = 0; index < options.subtasks; index++) {
    const project = projects[index % projects.length]!;
    const status = weighted();
    const key = `${options.keyPrefix ?? ''}${index + 1}-1`;
    const title = `${pick(VERBS)} ${pick(THINGS)}`;
    const criteria = Array.from(
      { length: 1 + Math.floor(next() * 3) },
      (_, n) => `${title.toLowerCase()} works (${n + 1})`,
    );
    const phaseIndex =
      status === 'completed' ? WORK_PHASES.length : status === 'pending' ? -1 : Math.floor(next() * WORK_PHASES.length);
    const phase =
      status === 'completed' || status === 'ready_for_review'
        ? 'complete'
        : phaseIndex >= 0
          ? WORK_PHASES[phaseIndex]!.name
          : null;
    let checklist = buildChecklist(DEFAULT_PHASES, criteria);
    checklist = checklist.map((item, position) => ({
      ...item,
      done:
        status === 'completed' ||
        (status === 'ready_for_review' ? position < WORK_PHASES.length : position < Math.max(0, phaseIndex)),
    }));
    const [done, total] = checklistProgress(checklist).split('/').map(Number) as [number, number];
    const createdAt = new Date(now - Math.floor(next() * 30 * 24 * 3_600_000));
    const updatedAt = new Date(Math.min(now, createdAt.getTime() + Math.floor(next() * 48 * 3_600_000)));
    const id = randomUUID();
    const risk = pick(RISKS);
    const workflowId = `subtask-${project.name}-${key}`;
    subtasks.push({
      id,
      projectId: project.id,
      key,
      title,
      description: `${title}, so that the shop keeps working when ${pick(THINGS)} change.`,
      risk,
      status,
      phase,
      attempt: status === 'pending' ? 0 : 1 + Math.floor(next() * 2),
      workflowId,
      branch: status === 'pending' ? null : `maestro/${key}-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`,
      spec: {
        project: project.name,
        key,
        title,
        description: '',
        acceptanceCriteria: criteria,
        filesInScope: [],
        risk,
        dependencies: [],
      },
      checklistDone: done,
      checklistTotal: total,
      createdAt,
      updatedAt,
      startedAt: status === 'pending' ? null : createdAt,
      completedAt: status === 'completed' || status === 'cancelled' ? updatedAt : null,
    });
    const eventCount = options.eventsPerSubtask ?? 20;
    for (let n = 0; n < eventCount; n++) {
      events.push({
        occurredAt: new Date(createdAt.getTime() + ((updatedAt.getTime() - createdAt.getTime()) * n) / eventCount),
        projectId: project.id,
        subtaskId: id,
        workflowId,
        actor: pick(['orchestrator', 'tester', 'developer', 'runner']),
        kind: pick(['subtask.transition', 'phase.handoff', 'phase.commit', 'check.passed', 'routing.decided']),
        message: `${pick(VERBS).toLowerCase()} ${pick(THINGS)}: step ${n + 1}`,
        data: { progress: `${Math.min(done, n)}/${total}` },
        idempotencyKey: `seed/${workflowId}/${n}`,
      });
    }
    const callCount = status === 'pending' ? 0 : (options.callsPerSubtask ?? 12);
    for (let n = 0; n < callCount; n++) {
      const inputTokens = 800 + Math.floor(next() * 6_000);
      const outputTokens = 50 + Math.floor(next() * 900);
      calls.push({
        occurredAt: new Date(createdAt.getTime() + n * 60_000),
        projectId: project.id,
        subtaskId: id,
        workflowId,
        role: n % 2 ? 'developer' : 'tester',
        phase: WORK_PHASES[n % WORK_PHASES.length]!.name,
        provider: 'openai',
        model: pick(['gpt-4o-mini', 'gpt-4.1']),
        inputTokens,
        outputTokens,
        costUsd: new Prisma.Decimal(formatUsdExact(BigInt(inputTokens) * 150_000n + BigInt(outputTokens) * 600_000n)),
        latencyMs: 300 + Math.floor(next() * 4_000),
      });
    }
    if (status === 'ready_for_review' && risk !== 'low')
      approvals.push({ subtaskId: id, gate: 'merge', requestedAt: updatedAt });
    if (status === 'blocked') {
      escalations.push({
        subtaskId: id,
        phase: phase ?? 'green',
        tier: 4,
        reason: `3 attempts of ${phase ?? 'green'} failed; last: 1 unit test fails`,
        options: [
          { id: 'retry', label: 'Retry the phase (with a hint)' },
          { id: 'skip', label: 'Skip the phase' },
          { id: 'cancel', label: 'Cancel the subtask' },
        ],
        recommendedOption: 'retry',
        createdAt: updatedAt,
      });
    }
  }
  const BATCH = 2_000;
  for (let start = 0; start < subtasks.length; start += BATCH)
    await prisma.subtask.createMany({ data: subtasks.slice(start, start + BATCH) });
  for (let start = 0; start < events.length; start += BATCH)
    await prisma.activityEvent.createMany({ data: events.slice(start, start + BATCH), skipDuplicates: true });
  for (let start = 0; start < calls.length; start += BATCH)
    await prisma.modelCall.createMany({ data: calls.slice(start, start + BATCH) });
  if (approvals.length > 0) await prisma.approval.createMany({ data: approvals });
  if (escalations.length > 0) await prisma.escalation.createMany({ data: escalations });
  return { subtasks: subtasks.length, events: events.length, modelCalls: calls.length };
}
