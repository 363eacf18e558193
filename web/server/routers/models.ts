import { readModelStatus } from '../model-status.js';
import { readProcedure, router } from '../trpc.js';

export const modelsRouter = router({
  /** Providers (which have their key, what to set for the others), the models that can be called, and routing's first choices. */
  status: readProcedure.query(({ ctx }) => readModelStatus(ctx.config, ctx.temporal.client)),

  /** Every provider's circuit breaker: failures in a row, and until when an open one is skipped. */
  circuits: readProcedure.query(async ({ ctx }) => {
    const rows = await ctx.prisma.providerCircuit.findMany({ orderBy: { provider: 'asc' } });
    const now = new Date();
    return rows.map((row) => ({
      provider: row.provider,
      consecutiveFailures: row.consecutiveFailures,
      open: row.openUntil !== null && row.openUntil > now,
      openUntil: row.openUntil?.toISOString() ?? null,
      lastError: row.lastError,
      lastFailureAt: row.lastFailureAt?.toISOString() ?? null,
    }));
  }),
});
