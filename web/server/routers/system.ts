import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { readSystemStatus } from '../system-status.js';
import { whileCredentialHolds } from '../auth/credential-watch.js';
import { callerOf, readProcedure, router } from '../trpc.js';

export const systemRouter = router({
  status: readProcedure.query(({ ctx }) => readSystemStatus(ctx)),

  /** The same status, pushed over server-sent events every `intervalMs`. */
  onStatus: readProcedure
    .input(z.strictObject({ intervalMs: z.int().min(500).max(60_000).default(2_000) }).prefault({}))
    .subscription(({ ctx, input, signal }) =>
      whileCredentialHolds(ctx.prisma, callerOf(ctx), signal, async function* (open) {
        while (!open.aborted) {
          yield await readSystemStatus(ctx);
          await sleep(input.intervalMs, undefined, { signal: open }).catch(() => undefined);
        }
      }),
    ),
});
