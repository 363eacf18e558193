import { Prisma, type PrismaClient } from '../../data/prisma.js';

// Timings of activity runs (table ActivityRun, written by the workers' interceptor), summed up.

const round = (value: number | null | undefined, digits = 1) =>
  value === null || value === undefined ? 0 : Math.round(value * 10 ** digits) / 10 ** digits;
const rate = (part: number, whole: number) => (whole === 0 ? 0 : Math.round((part / whole) * 10_000) / 10_000);

/** The slowest activity types since `since` (by p95), with their run counts and percentiles in ms. */
export async function bottlenecks(prisma: PrismaClient, filter: { since: Date; limit: number; role?: string }) {
  const rows = await prisma.$queryRaw<
    Array<{
      activityType: string;
      roles: string[];
      runs: number;
      failed: number;
      cancelled: number;
      p50: number;
      p95: number;
      p99: number;
      maxMs: number;
      avgMs: number;
      totalMs: bigint;
    }>
  >`
    SELECT "activityType", array_agg(DISTINCT role ORDER BY role) AS roles,
      count(*)::int AS runs,
      (count(*) FILTER (WHERE outcome = 'failed'))::int AS failed,
      (count(*) FILTER (WHERE outcome = 'cancelled'))::int AS cancelled,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY "durationMs") AS p50,
      percentile_cont(0.95) WITHIN GROUP (ORDER BY "durationMs") AS p95,
      percentile_cont(0.99) WITHIN GROUP (ORDER BY "durationMs") AS p99,
      max("durationMs") AS "maxMs", avg("durationMs")::float8 AS "avgMs", sum("durationMs")::bigint AS "totalMs"
    FROM "ActivityRun"
    WHERE "endedAt" >= ${filter.since} ${filter.role ? Prisma.sql`AND role = ${filter.role}` : Prisma.empty}
    GROUP BY "activityType"
    ORDER BY p95 DESC, runs DESC, "activityType"
    LIMIT ${filter.limit}`;
  return {
    since: filter.since.toISOString(),
    activities: rows.map((row) => ({
      activityType: row.activityType,
      roles: row.roles,
      runs: row.runs,
      failed: row.failed,
      cancelled: row.cancelled,
      failureRate: rate(row.failed, row.runs),
      p50: round(row.p50),
      p95: round(row.p95),
      p99: round(row.p99),
      maxMs: row.maxMs,
      avgMs: round(row.avgMs),
      totalMs: Number(row.totalMs),
    })),
  };
}

/** Time buckets for a throughput chart: about 60 over the window, at least a minute each. */
function bucketMsFor(windowMs: number): number {
  return Math.max(60_000, Math.ceil(windowMs / 60 / 60_000) * 60_000);
}

/** One role's work since `since`: throughput, failure rate, and p50/p95 per activity type. */
export async function roleMetrics(prisma: PrismaClient, filter: { role: string; since: Date }, now = new Date()) {
  const windowMs = Math.max(60_000, now.getTime() - filter.since.getTime());
  const bucketMs = bucketMsFor(windowMs);
  const [byActivity, buckets, recent] = await Promise.all([
    prisma.$queryRaw<
      Array<{
        activityType: string;
        runs: number;
        failed: number;
        cancelled: number;
        p50: number;
        p95: number;
        avgMs: number;
      }>
    >`
      SELECT "activityType", count(*)::int AS runs,
        (count(*) FILTER (WHERE outcome = 'failed'))::int AS failed,
        (count(*) FILTER (WHERE outcome = 'cancelled'))::int AS cancelled,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY "durationMs") AS p50,
        percentile_cont(0.95) WITHIN GROUP (ORDER BY "durationMs") AS p95,
        avg("durationMs")::float8 AS "avgMs"
      FROM "ActivityRun"
      WHERE role = ${filter.role} AND "endedAt" >= ${filter.since}
      GROUP BY "activityType"
      ORDER BY runs DESC, "activityType"`,
    prisma.$queryRaw<Array<{ bucket: bigint; runs: number; failed: number }>>`
      SELECT floor(extract(epoch FROM "endedAt") * 1000 / ${bucketMs})::bigint AS bucket, count(*)::int AS runs,
        (count(*) FILTER (WHERE outcome = 'failed'))::int AS failed
      FROM "ActivityRun"
      WHERE role = ${filter.role} AND "endedAt" >= ${filter.since}
      GROUP BY 1 ORDER BY 1`,
    prisma.$queryRaw<
      Array<{ lastMinute: number; lastHour: number; p50: number | null; p95: number | null; lastRunAt: Date | null }>
    >`
      SELECT (count(*) FILTER (WHERE "endedAt" >= ${new Date(now.getTime() - 60_000)}))::int AS "lastMinute",
        (count(*) FILTER (WHERE "endedAt" >= ${new Date(now.getTime() - 3_600_000)}))::int AS "lastHour",
        percentile_cont(0.5) WITHIN GROUP (ORDER BY "durationMs") FILTER (WHERE "endedAt" >= ${filter.since}) AS p50,
        percentile_cont(0.95) WITHIN GROUP (ORDER BY "durationMs") FILTER (WHERE "endedAt" >= ${filter.since}) AS p95,
        max("endedAt") AS "lastRunAt"
      FROM "ActivityRun"
      WHERE role = ${filter.role} AND "endedAt" >= ${new Date(Math.min(filter.since.getTime(), now.getTime() - 3_600_000))}`,
  ]);
  const runs = byActivity.reduce((sum, row) => sum + row.runs, 0);
  const failed = byActivity.reduce((sum, row) => sum + row.failed, 0);
  const cancelled = byActivity.reduce((sum, row) => sum + row.cancelled, 0);
  const counted = new Map(buckets.map((row) => [Number(row.bucket), row]));
  const first = Math.floor(filter.since.getTime() / bucketMs);
  const last = Math.floor(now.getTime() / bucketMs);
  const series = [];
  for (let bucket = Math.max(first, last - 119); bucket <= last; bucket++) {
    const row = counted.get(bucket);
    series.push({ at: new Date(bucket * bucketMs).toISOString(), runs: row?.runs ?? 0, failed: row?.failed ?? 0 });
  }
  const summary = recent[0];
  return {
    role: filter.role,
    since: filter.since.toISOString(),
    runs,
    failed,
    cancelled,
    failureRate: rate(failed, runs),
    /** Runs per minute and per hour, averaged over the window. */
    perMinute: round(runs / (windowMs / 60_000), 2),
    perHour: round(runs / (windowMs / 3_600_000), 1),
    lastMinute: summary?.lastMinute ?? 0,
    lastHour: summary?.lastHour ?? 0,
    p50: round(summary?.p50),
    p95: round(summary?.p95),
    lastRunAt: summary?.lastRunAt?.toISOString() ?? null,
    bucketMs,
    series,
    activities: byActivity.map((row) => ({
      activityType: row.activityType,
      runs: row.runs,
      failed: row.failed,
      cancelled: row.cancelled,
      failureRate: rate(row.failed, row.runs),
      p50: round(row.p50),
      p95: round(row.p95),
      avgMs: round(row.avgMs),
    })),
  };
}

/** Every role's throughput and failure rate since `since`, with a throughput series each, for the queues page. */
export async function rolesSummary(prisma: PrismaClient, filter: { since: Date }, now = new Date()) {
  const windowMs = Math.max(60_000, now.getTime() - filter.since.getTime());
  const bucketMs = bucketMsFor(windowMs);
  const [rows, buckets] = await Promise.all([
    prisma.$queryRaw<
      Array<{
        role: string;
        runs: number;
        failed: number;
        cancelled: number;
        p50: number;
        p95: number;
        lastRunAt: Date;
      }>
    >`
      SELECT role, count(*)::int AS runs,
        (count(*) FILTER (WHERE outcome = 'failed'))::int AS failed,
        (count(*) FILTER (WHERE outcome = 'cancelled'))::int AS cancelled,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY "durationMs") AS p50,
        percentile_cont(0.95) WITHIN GROUP (ORDER BY "durationMs") AS p95,
        max("endedAt") AS "lastRunAt"
      FROM "ActivityRun"
      WHERE "endedAt" >= ${filter.since}
      GROUP BY role
      ORDER BY role`,
    prisma.$queryRaw<Array<{ role: string; bucket: bigint; runs: number; failed: number }>>`
      SELECT role, floor(extract(epoch FROM "endedAt") * 1000 / ${bucketMs})::bigint AS bucket, count(*)::int AS runs,
        (count(*) FILTER (WHERE outcome = 'failed'))::int AS failed
      FROM "ActivityRun"
      WHERE "endedAt" >= ${filter.since}
      GROUP BY 1, 2`,
  ]);
  const counted = new Map(buckets.map((row) => [`${row.role} ${Number(row.bucket)}`, row]));
  const first = Math.floor(filter.since.getTime() / bucketMs);
  const last = Math.floor(now.getTime() / bucketMs);
  const seriesOf = (role: string) => {
    const series = [];
    for (let bucket = Math.max(first, last - 119); bucket <= last; bucket++) {
      const row = counted.get(`${role} ${bucket}`);
      series.push({ at: new Date(bucket * bucketMs).toISOString(), runs: row?.runs ?? 0, failed: row?.failed ?? 0 });
    }
    return series;
  };
  return {
    since: filter.since.toISOString(),
    bucketMs,
    roles: rows.map((row) => ({
      role: row.role,
      runs: row.runs,
      failed: row.failed,
      cancelled: row.cancelled,
      failureRate: rate(row.failed, row.runs),
      perMinute: round(row.runs / (windowMs / 60_000), 2),
      p50: round(row.p50),
      p95: round(row.p95),
      lastRunAt: row.lastRunAt.toISOString(),
      series: seriesOf(row.role),
    })),
  };
}
