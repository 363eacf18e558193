import { setTimeout as sleep } from 'node:timers/promises';
import type { PrismaClient } from '../../../activities/store/prisma.js';

export interface LogEvent {
  id: string;
  occurredAt: string;
  actor: string;
  kind: string;
  message: string;
  /** The event's details, when they are small enough to send along. */
  data: unknown;
}

const MAX_DATA_CHARS = 4_000;
const PAGE = 200;
/** Ids are handed out before their transactions commit, so a lower id can appear late: look back this far. */
const LOOK_BACK = 50n;

type Row = { id: bigint; occurredAt: Date; actor: string; kind: string; message: string; data: unknown };

export function toLogEvent(row: Row): LogEvent {
  const data = row.data === null || row.data === undefined ? null : JSON.stringify(row.data).length <= MAX_DATA_CHARS ? row.data : null;
  return { id: String(row.id), occurredAt: row.occurredAt.toISOString(), actor: row.actor, kind: row.kind, message: row.message, data };
}

const select = { id: true, occurredAt: true, actor: true, kind: true, message: true, data: true } as const;

/**
 * A subtask's activity log as it is appended: the newest `backlog` events first (oldest of them
 * first), then every new one, polled by id every `intervalMs`. After `afterId` only newer ones.
 */
export async function* followSubtaskEvents(
  prisma: PrismaClient,
  subtaskId: string,
  options: { backlog: number; afterId?: bigint; intervalMs?: number; signal?: AbortSignal },
): AsyncGenerator<LogEvent> {
  const emitted = new Set<bigint>();
  let after: bigint = options.afterId ?? 0n;
  if (options.afterId === undefined) {
    const backlog = options.backlog > 0 ? await prisma.activityEvent.findMany({ where: { subtaskId }, orderBy: { id: 'desc' }, take: options.backlog, select }) : [];
    after = backlog[0]?.id ?? 0n;
    if (backlog.length === 0 && options.backlog === 0) {
      after = (await prisma.activityEvent.findFirst({ where: { subtaskId }, orderBy: { id: 'desc' }, select: { id: true } }))?.id ?? 0n;
    }
    for (const row of backlog.reverse()) {
      emitted.add(row.id);
      yield toLogEvent(row);
    }
  }
  while (!options.signal?.aborted) {
    const rows: Row[] = await prisma.activityEvent.findMany({ where: { subtaskId, id: { gt: after - LOOK_BACK } }, orderBy: { id: 'asc' }, take: PAGE + Number(LOOK_BACK), select });
    let fresh = 0;
    for (const row of rows) {
      if (emitted.has(row.id) || row.id <= (options.afterId ?? -1n)) continue;
      emitted.add(row.id);
      fresh += 1;
      if (row.id > after) after = row.id;
      yield toLogEvent(row);
    }
    // Only the look-back window needs remembering.
    for (const id of emitted) if (id <= after - LOOK_BACK) emitted.delete(id);
    if (fresh < PAGE) await sleep(options.intervalMs ?? 1_000, undefined, { signal: options.signal }).catch(() => undefined);
  }
}
