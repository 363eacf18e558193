import { z } from 'zod';
import { bottlenecks, roleMetrics, rolesSummary } from '../activity-metrics.js';
import { readProcedure, router } from '../trpc.js';

const HOUR = 3_600_000;
const Since = z.coerce.date({ error: () => 'since: a date and time, like 2026-01-31T12:00:00Z' });
const Role = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,39}$/, 'a role like tester, developer, orchestrator, runner, council, models or workflows');
const ago = (ms: number) => new Date(Date.now() - ms);

export const metricsRouter = router({
  /** The slowest activity types (by p95) since `since` (default: the last 24 hours): runs, failures, p50/p95/p99 in ms. */
  bottlenecks: readProcedure
    .input(
      z
        .strictObject({ since: Since.optional(), limit: z.int().min(1).max(100).default(10), role: Role.optional() })
        .prefault({}),
    )
    .query(({ ctx, input }) =>
      bottlenecks(ctx.prisma, { since: input.since ?? ago(24 * HOUR), limit: input.limit, role: input.role }),
    ),

  /** One role's work since `since` (default: the last hour): throughput, failure rate, a throughput series, p50/p95 per activity type. */
  role: readProcedure
    .input(z.strictObject({ role: Role, since: Since.optional() }))
    .query(({ ctx, input }) => roleMetrics(ctx.prisma, { role: input.role, since: input.since ?? ago(HOUR) })),

  /** Every role's runs, throughput, failure rate and p50/p95 since `since` (default: the last hour). */
  roles: readProcedure
    .input(z.strictObject({ since: Since.optional() }).prefault({}))
    .query(({ ctx, input }) => rolesSummary(ctx.prisma, { since: input.since ?? ago(HOUR) })),
});
