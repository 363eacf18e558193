import { tracked } from '@trpc/server';
import { EventListInput, EventStreamInput, followEvents, listEvents, resolveFilter } from '../event-log.js';
import { whileCredentialHolds } from '../auth/credential-watch.js';
import { callerOf, readProcedure, router } from '../trpc.js';

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
    yield* whileCredentialHolds(ctx.prisma, callerOf(ctx), signal, async function* (open) {
      for await (const event of followEvents(ctx.prisma, filter, {
        backlog: input.backlog,
        lastEventId: input.lastEventId,
        signal: open,
      }))
        yield tracked(event.id, event);
    });
  }),
});
