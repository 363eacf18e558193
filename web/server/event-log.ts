import { setTimeout as sleep } from 'node:timers/promises';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { ProjectName } from '../../domain/project.js';
import { SubtaskKey } from '../../domain/subtask-spec.js';
import { boundedText } from '../../domain/text.js';
import { Prisma, type PrismaClient } from '../../data/prisma.js';
import { resolveScope } from './scope.js';

const EventId = z.string().regex(/^\d{1,19}$/, 'an event id: digits, as events.list gives them');

/** Which events: every filter optional, all of them together. */
export const EventFilter = z.strictObject({
  project: ProjectName.optional(),
  /** A subtask key within `project`. */
  subtask: SubtaskKey.optional(),
  /** Who acted, exactly (`user:alice`, `tester`), or a prefix ending in `*` (`user:*`). */
  actor: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .regex(/^[\w.:@-]+\*?$/, 'an actor like user:alice or tester, or a prefix like user:*')
    .optional(),
  /** A kind (`approval.requested`) or a family of kinds (`approval`). */
  kind: z
    .string()
    .trim()
    .max(100, 'a kind has at most 100 characters')
    .regex(/^[a-z_]+(\.[a-z_]+)*$/, 'a kind like approval.requested, or a family like approval')
    .optional(),
  /** Words to find in the kind, actor and message (full-text: `fail` finds failed and failing; "quoted phrases", -without). */
  search: boundedText(200, 'the search', { trim: true }).min(1, 'search for at least one word').optional(),
});
export type EventFilter = z.infer<typeof EventFilter>;

export const EventListInput = EventFilter.extend({
  limit: z.int().min(1).max(500).default(100),
  /** Older than this event id: the next page. */
  before: EventId.optional(),
}).prefault({});

export const EventStreamInput = EventFilter.extend({
  /** Send the newest N matching events first, then new ones as they happen. */
  backlog: z.int().min(0).max(500).default(0),
  /** Only events after this id (tRPC sets it when it reconnects). */
  lastEventId: EventId.nullish(),
}).prefault({});

export interface ResolvedFilter {
  projectId?: string;
  subtaskId?: string;
  actor?: string;
  kind?: string;
  search?: string;
}

export interface LoggedEvent {
  id: string;
  occurredAt: string;
  project: string | null;
  subtask: string | null;
  workflowId: string | null;
  actor: string;
  kind: string;
  message: string;
  data: unknown;
}

/** Looks up the project and subtask the filter names: a name that does not exist is an error, not an empty page. */
export async function resolveFilter(prisma: PrismaClient, filter: EventFilter): Promise<ResolvedFilter> {
  if (filter.subtask && !filter.project)
    throw new TRPCError({ code: 'BAD_REQUEST', message: 'a subtask key needs its project: give project too' });
  return { actor: filter.actor, kind: filter.kind, search: filter.search, ...(await resolveScope(prisma, filter)) };
}

function conditions(filter: ResolvedFilter): Prisma.Sql[] {
  const where: Prisma.Sql[] = [];
  if (filter.projectId) where.push(Prisma.sql`e."projectId" = ${filter.projectId}::uuid`);
  if (filter.subtaskId) where.push(Prisma.sql`e."subtaskId" = ${filter.subtaskId}::uuid`);
  if (filter.actor) {
    where.push(
      filter.actor.endsWith('*')
        ? Prisma.sql`starts_with(e.actor, ${filter.actor.slice(0, -1)})`
        : Prisma.sql`e.actor = ${filter.actor}`,
    );
  }
  if (filter.kind) where.push(Prisma.sql`(e.kind = ${filter.kind} OR starts_with(e.kind, ${`${filter.kind}.`}))`);
  if (filter.search) where.push(Prisma.sql`e.search @@ websearch_to_tsquery('english', ${filter.search})`);
  return where;
}

async function query(
  prisma: PrismaClient,
  where: Prisma.Sql[],
  order: 'asc' | 'desc',
  limit: number,
): Promise<LoggedEvent[]> {
  const clause = where.length > 0 ? Prisma.sql`WHERE ${Prisma.join(where, ' AND ')}` : Prisma.empty;
  const rows = await prisma.$queryRaw<
    Array<{
      id: bigint;
      occurredAt: Date;
      project: string | null;
      subtask: string | null;
      workflowId: string | null;
      actor: string;
      kind: string;
      message: string;
      data: unknown;
    }>
  >`
    SELECT e.id, e."occurredAt", p.name AS project, s.key AS subtask, e."workflowId", e.actor, e.kind, e.message, e.data
    FROM "ActivityEvent" e
    LEFT JOIN "Project" p ON p.id = e."projectId"
    LEFT JOIN "Subtask" s ON s.id = e."subtaskId"
    ${clause}
    ORDER BY e.id ${order === 'asc' ? Prisma.sql`ASC` : Prisma.sql`DESC`}
    LIMIT ${limit}`;
  return rows.map((row) => ({ ...row, id: row.id.toString(), occurredAt: row.occurredAt.toISOString() }));
}

/** Matching events, newest first; `before` pages back. */
export async function listEvents(
  prisma: PrismaClient,
  filter: ResolvedFilter,
  page: { limit: number; before?: string },
) {
  const where = conditions(filter);
  if (page.before) where.push(Prisma.sql`e.id < ${BigInt(page.before)}`);
  const events = await query(prisma, where, 'desc', page.limit + 1);
  const more = events.length > page.limit;
  const shown = events.slice(0, page.limit);
  return { events: shown, nextBefore: more ? shown.at(-1)!.id : null };
}

/** Matching events with an id above `after`, oldest first. */
export function eventsAfter(
  prisma: PrismaClient,
  filter: ResolvedFilter,
  after: bigint,
  limit: number,
): Promise<LoggedEvent[]> {
  return query(prisma, [...conditions(filter), Prisma.sql`e.id > ${after}`], 'asc', limit);
}

export async function newestEventId(prisma: PrismaClient): Promise<bigint> {
  const [row] = await prisma.$queryRaw<Array<{ id: bigint | null }>>`SELECT max(id) AS id FROM "ActivityEvent"`;
  return row?.id ?? 0n;
}

const POLL_MS = 1_000;
const BATCH = 200;
/**
 * Ids are handed out when a row is inserted but become visible when its transaction commits, so a
 * lower id can appear after a higher one was seen: every poll looks this many ids back, and skips
 * those already sent.
 */
const LOOK_BACK = 200n;

/**
 * Matching events as they are appended: the newest `backlog` first (oldest of them first), then a
 * poll every second; after `lastEventId` (a reconnect) only newer ones.
 */
export async function* followEvents(
  prisma: PrismaClient,
  filter: ResolvedFilter,
  options: { backlog: number; lastEventId?: string | null; signal?: AbortSignal },
): AsyncGenerator<LoggedEvent> {
  const sent = new Set<string>();
  let cursor: bigint;
  if (options.lastEventId) {
    cursor = BigInt(options.lastEventId);
  } else if (options.backlog > 0) {
    const { events } = await listEvents(prisma, filter, { limit: options.backlog });
    cursor = events.length > 0 ? BigInt(events[0]!.id) : await newestEventId(prisma);
    for (const event of events.reverse()) {
      sent.add(event.id);
      yield event;
    }
  } else {
    cursor = await newestEventId(prisma);
  }
  // Events at or below the starting point were the caller's already, whether listed here or not.
  const floor = cursor;
  while (!options.signal?.aborted) {
    const from = cursor - LOOK_BACK > floor ? cursor - LOOK_BACK : floor;
    const fresh = (await eventsAfter(prisma, filter, from, BATCH + sent.size)).filter((event) => !sent.has(event.id));
    for (const event of fresh.slice(0, BATCH)) {
      sent.add(event.id);
      const id = BigInt(event.id);
      if (id > cursor) cursor = id;
      yield event;
    }
    for (const id of sent) if (BigInt(id) <= cursor - LOOK_BACK) sent.delete(id);
    if (fresh.length < BATCH) await sleep(POLL_MS, undefined, { signal: options.signal }).catch(() => undefined);
  }
}
