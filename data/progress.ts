import type { Prisma, PrismaClient } from './prisma.js';
import type { AuditEvent } from '../domain/audit.js';
import type { SubtaskStatus } from '../domain/lifecycle.js';

export interface ProgressRecord {
  subtaskId: string;
  projectId: string;
  workflowId: string;
  /** Unique per workflow run and step: a retried write is not appended twice. */
  key: string;
  /** When it happened, in workflow time. */
  at: number;
  update?: {
    status?: SubtaskStatus;
    phase?: string | null;
    attempt?: number;
    branch?: string;
    started?: boolean;
    completed?: boolean;
    complexity?: number;
    routing?: Record<string, unknown>;
  };
  events: AuditEvent[];
}

/** Mirrors the workflow's state into the subtask's row and appends to the audit log, atomically. */
export async function recordProgress(prisma: PrismaClient, record: ProgressRecord): Promise<void> {
  await prisma.$transaction(progressWrites(prisma, record));
}

/** Several of the workflow's writes (what one workflow task did), in one transaction, in their order. */
export async function recordProgressBatch(prisma: PrismaClient, records: ProgressRecord[]): Promise<void> {
  if (records.length === 0) return;
  await prisma.$transaction(records.flatMap((record) => progressWrites(prisma, record)));
}

function progressWrites(prisma: PrismaClient, record: ProgressRecord) {
  const at = new Date(record.at);
  const update = record.update ?? {};
  const data: Prisma.SubtaskUpdateInput = {
    ...(update.status !== undefined ? { status: update.status } : {}),
    ...(update.phase !== undefined ? { phase: update.phase } : {}),
    ...(update.attempt !== undefined ? { attempt: update.attempt } : {}),
    ...(update.branch !== undefined ? { branch: update.branch } : {}),
    ...(update.started ? { startedAt: at } : {}),
    ...(update.completed ? { completedAt: at } : {}),
    ...(update.complexity !== undefined ? { complexity: update.complexity } : {}),
    ...(update.routing !== undefined ? { routing: update.routing as Prisma.InputJsonValue } : {}),
    ...checklistProgressOf(record.events),
  };
  return [
    ...(Object.keys(data).length > 0 ? [prisma.subtask.update({ where: { id: record.subtaskId }, data })] : []),
    prisma.activityEvent.createMany({
      data: record.events.map((event, index) => ({
        occurredAt: at,
        projectId: record.projectId,
        subtaskId: record.subtaskId,
        workflowId: record.workflowId,
        actor: event.actor,
        kind: event.kind,
        message: event.message,
        data: (event.data ?? undefined) as Prisma.InputJsonValue | undefined,
        idempotencyKey: `${record.key}.${index}`,
      })),
      skipDuplicates: true,
    }),
  ];
}

/** The newest checklist progress (`3/9`) an event reports: what the board shows until the next one. */
function checklistProgressOf(events: readonly AuditEvent[]): { checklistDone?: number; checklistTotal?: number } {
  for (const event of [...events].reverse()) {
    const match = typeof event.data?.progress === 'string' ? /^(\d+)\/(\d+)$/.exec(event.data.progress) : null;
    if (match) return { checklistDone: Number(match[1]), checklistTotal: Number(match[2]) };
  }
  return {};
}
