import { setTimeout as sleep } from 'node:timers/promises';
import { tracked } from '@trpc/server';
import { EventListInput, EventStreamInput, eventsAfter, listEvents, newestEventId, resolveFilter } from '../event-log.js';
import { readProcedure, router } from '../trpc.js';

const POLL_MS = 1_000;
const BATCH = 200;
/**
 * Ids are handed out when a row is inserted but become visible when its transaction commits, so a
 * lower id can appear after a higher one was seen: every poll looks this many ids back, and skips
 * those already sent.
 */
const LOOK_BACK = 200n;

export const eventsRouter = router({
  /** The audit log, newest first, filtered by project, subtask, actor and kind, with full-text search; `before` pages back. */
  list: readProcedure.input(EventListInput).query(async ({ ctx, input }) => {
    const filter = await resolveFilter(ctx.prisma, input);
    return listEvents(ctx.prisma, filter, { limit: input.limit, before: input.before });
  }),

  /**
   * New events as they happen (server-sent events, each tracked by its id so a reconnect resumes):
   * the newest `backlog` matching events first, then a poll every second.
   */
  onEvents: readProcedure.input(EventStreamInput).subscription(async function* ({ ctx, input, signal }) {
    const filter = await resolveFilter(ctx.prisma, input);
    const sent = new Set<string>();
    let cursor: bigint;
    if (input.lastEventId) {
      cursor = BigInt(input.lastEventId);
    } else if (input.backlog > 0) {
      const { events } = await listEvents(ctx.prisma, filter, { limit: input.backlog });
      cursor = events.length > 0 ? BigInt(events[0]!.id) : await newestEventId(ctx.prisma);
      for (const event of events.reverse()) {
        sent.add(event.id);
        yield tracked(event.id, event);
      }
    } else {
      cursor = await newestEventId(ctx.prisma);
    }
    // Events at or below the starting point were the caller's already, whether listed here or not.
    const floor = cursor;
    while (!signal?.aborted) {
      const from = cursor - LOOK_BACK > floor ? cursor - LOOK_BACK : floor;
      const fresh = (await eventsAfter(ctx.prisma, filter, from, BATCH + sent.size)).filter((event) => !sent.has(event.id));
      for (const event of fresh.slice(0, BATCH)) {
        sent.add(event.id);
        const id = BigInt(event.id);
        if (id > cursor) cursor = id;
        yield tracked(event.id, event);
      }
      for (const id of sent) if (BigInt(id) <= cursor - LOOK_BACK) sent.delete(id);
      if (fresh.length < BATCH) await sleep(POLL_MS, undefined, { signal }).catch(() => undefined);
    }
  }),
});
