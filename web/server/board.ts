import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { SUBTASK_STATUSES, type SubtaskStatus } from '../../domain/lifecycle.js';
import { formatUsdExact, parseUsd } from '../../domain/money.js';
import { DEFAULT_PHASES } from '../../domain/phases.js';
import { ProjectName } from '../../domain/project.js';
import { Risk } from '../../domain/subtask-spec.js';
import { boundedText } from '../../domain/text.js';
import { Prisma, type PrismaClient } from '../../data/prisma.js';

export const BoardFilter = z.strictObject({
  project: ProjectName.optional(),
  status: z
    .enum(SUBTASK_STATUSES, { error: () => `unknown status; the statuses are ${SUBTASK_STATUSES.join(', ')}` })
    .optional(),
  risk: Risk.optional(),
  search: boundedText(200, 'the search', { trim: true }).optional(),
  limit: z.int().min(1).max(500, 'ask for at most 500 subtasks a page').default(200),
  cursor: boundedText(200, 'the cursor').optional(),
});
export type BoardFilter = z.input<typeof BoardFilter>;

/** Who acts now: an agent role, the runner checking its work, a reviewer at a gate, or a person answering a block. */
export type Assignee = 'tester' | 'developer' | 'orchestrator' | 'runner' | 'reviewer' | 'person';

export interface BoardCard {
  id: string;
  project: string;
  key: string;
  title: string;
  risk: 'low' | 'medium' | 'high';
  status: SubtaskStatus;
  phase: string | null;
  attempt: number;
  workflowId: string;
  /** Checklist progress as of the last check that passed: `done/total`. */
  progress: { done: number; total: number } | null;
  assignee: Assignee | null;
  /** What its model calls cost so far, exact (twelve decimals). */
  costUsd: string;
  awaitingApproval: boolean;
  escalated: boolean;
  createdAt: string;
  startedAt: string | null;
  updatedAt: string;
  completedAt: string | null;
  ageSeconds: number;
}

export interface BoardPage {
  subtasks: BoardCard[];
  /** Subtasks per status under the same filters (the status filter aside): the columns' counts. */
  counts: Record<SubtaskStatus, number>;
  total: number;
  /** Pass it back as `cursor` for the next page; null on the last. */
  nextCursor: string | null;
}

interface Row {
  id: string;
  project: string;
  key: string;
  title: string;
  risk: BoardCard['risk'];
  status: SubtaskStatus;
  phase: string | null;
  attempt: number;
  workflowId: string;
  checklistDone: number | null;
  checklistTotal: number | null;
  costUsd: string;
  awaitingApproval: boolean;
  escalated: boolean;
  createdAt: Date;
  startedAt: Date | null;
  updatedAt: Date;
  completedAt: Date | null;
}

const ROLE_OF_PHASE = new Map<string, Assignee>(DEFAULT_PHASES.map((phase) => [phase.name, phase.role]));

/**
 * The board: one page of subtasks, newest activity first, with progress, cost and who acts; and the
 * counts per status. Two SQL statements whatever the number of subtasks; Temporal is not asked.
 */
export async function listBoard(
  prisma: PrismaClient,
  input: z.output<typeof BoardFilter>,
  now = new Date(),
): Promise<BoardPage> {
  const after = input.cursor ? decodeCursor(input.cursor) : undefined;
  const filters: Prisma.Sql[] = [];
  if (input.project) filters.push(Prisma.sql`p."name" = ${input.project}`);
  if (input.risk) filters.push(Prisma.sql`s."risk" = ${input.risk}::"Risk"`);
  if (input.search) {
    const pattern = `%${input.search.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
    filters.push(
      Prisma.sql`(s."title" ILIKE ${pattern} OR s."key" ILIKE ${pattern} OR s."description" ILIKE ${pattern})`,
    );
  }
  const listFilters = [...filters];
  if (input.status) listFilters.push(Prisma.sql`s."status" = ${input.status}::"SubtaskStatus"`);
  if (after)
    listFilters.push(Prisma.sql`(s."updatedAt", s."id") < (${after.updatedAt}::timestamptz, ${after.id}::uuid)`);

  const [rows, counts] = await Promise.all([
    prisma.$queryRaw<Row[]>`
      SELECT s."id", p."name" AS "project", s."key", s."title", s."risk"::text AS "risk", s."status"::text AS "status", s."phase", s."attempt",
             s."workflowId", s."checklistDone", s."checklistTotal", s."createdAt", s."startedAt", s."updatedAt", s."completedAt",
             COALESCE((SELECT SUM(m."costUsd") FROM "ModelCall" m WHERE m."subtaskId" = s."id"), 0)::text AS "costUsd",
             EXISTS (SELECT 1 FROM "Approval" a WHERE a."subtaskId" = s."id" AND a."status" = 'pending') AS "awaitingApproval",
             EXISTS (SELECT 1 FROM "Escalation" e WHERE e."subtaskId" = s."id" AND e."status" = 'open') AS "escalated"
      FROM "Subtask" s JOIN "Project" p ON p."id" = s."projectId"
      ${where(listFilters)}
      ORDER BY s."updatedAt" DESC, s."id" DESC
      LIMIT ${input.limit + 1}`,
    prisma.$queryRaw<Array<{ status: SubtaskStatus; count: bigint }>>`
      SELECT s."status"::text AS "status", COUNT(*) AS "count"
      FROM "Subtask" s JOIN "Project" p ON p."id" = s."projectId"
      ${where(filters)}
      GROUP BY s."status"`,
  ]);

  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  const byStatus = Object.fromEntries(SUBTASK_STATUSES.map((status) => [status, 0])) as Record<SubtaskStatus, number>;
  for (const row of counts) byStatus[row.status] = Number(row.count);
  return {
    subtasks: page.map((row) => toCard(row, now)),
    counts: byStatus,
    total: Object.values(byStatus).reduce((sum, count) => sum + count, 0),
    nextCursor: rows.length > input.limit && last ? encodeCursor(last) : null,
  };
}

function where(filters: Prisma.Sql[]): Prisma.Sql {
  return filters.length > 0 ? Prisma.sql`WHERE ${Prisma.join(filters, ' AND ')}` : Prisma.empty;
}

function toCard(row: Row, now: Date): BoardCard {
  return {
    id: row.id,
    project: row.project,
    key: row.key,
    title: row.title,
    risk: row.risk,
    status: row.status,
    phase: row.phase,
    attempt: row.attempt,
    workflowId: row.workflowId,
    progress: row.checklistTotal ? { done: row.checklistDone ?? 0, total: row.checklistTotal } : null,
    assignee: assigneeOf(row),
    costUsd: formatUsdExact(parseUsd(row.costUsd)),
    awaitingApproval: row.awaitingApproval,
    escalated: row.escalated,
    createdAt: row.createdAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
    updatedAt: row.updatedAt.toISOString(),
    completedAt: row.completedAt?.toISOString() ?? null,
    ageSeconds: Math.max(0, Math.round(((row.completedAt ?? now).getTime() - row.createdAt.getTime()) / 1000)),
  };
}

export function assigneeOf(row: {
  status: SubtaskStatus;
  phase: string | null;
  awaitingApproval: boolean;
  escalated: boolean;
}): Assignee | null {
  if (row.status === 'completed' || row.status === 'cancelled') return null;
  if (row.awaitingApproval) return 'reviewer';
  if (row.status === 'blocked' || row.escalated) return 'person';
  if (row.status === 'testing') return 'runner';
  if (row.status === 'pending' || !row.phase) return 'orchestrator';
  return ROLE_OF_PHASE.get(row.phase) ?? 'orchestrator';
}

const Cursor = z.object({ u: z.iso.datetime(), i: z.uuid() });

function encodeCursor(row: Row): string {
  return Buffer.from(JSON.stringify({ u: row.updatedAt.toISOString(), i: row.id })).toString('base64url');
}

function decodeCursor(cursor: string): { updatedAt: string; id: string } {
  try {
    const parsed = Cursor.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return { updatedAt: parsed.u, id: parsed.i };
  } catch {
    throw new TRPCError({
      code: 'BAD_REQUEST',
      message: 'cursor: not a cursor this board gave out; pass nextCursor from the previous page, or leave it out',
    });
  }
}
