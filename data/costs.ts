import { type BudgetLimits, type BudgetTier, budgetTier } from '../domain/budget.js';
import { formatUsdExact, parseUsd } from '../domain/money.js';
import { Prisma, type PrismaClient } from './prisma.js';

/** One call to a model, for the ledger. The key makes a retried write a no-op. */
export interface LedgerEntry {
  idempotencyKey: string;
  occurredAt: Date;
  projectId?: string;
  subtaskId?: string;
  workflowId?: string;
  role?: string;
  phase?: string;
  purpose: string;
  provider: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  estimated: boolean;
  costPicos: bigint;
  latencyMs: number;
  /** `ok` unless the call failed (failed calls cost nothing and are kept for the record). */
  outcome?: string;
  error?: string;
}

/**
 * The ledger's outcomes of a call not answered yet: `sent` is on its way (it costs nothing yet; what
 * it may cost at most is reserved beside it), `unknown` will never be answered to us (the gateway
 * went away or the call was cancelled), though the provider may have charged: it costs its reserve.
 */
export const UNSETTLED_OUTCOMES = ['sent', 'unknown'] as const;

const rowOf = ({ costPicos, ...row }: LedgerEntry) => ({
  ...row,
  costUsd: new Prisma.Decimal(formatUsdExact(costPicos)),
});

/**
 * Writes a call's line of the ledger: settles the line its gateway wrote before sending it (keeping
 * when it was sent), or adds it. A line already settled is left as it is: a repeated write is a no-op.
 */
export async function recordModelCall(prisma: PrismaClient, entry: LedgerEntry): Promise<void> {
  const { occurredAt: _sentAt, idempotencyKey, ...settled } = rowOf(entry);
  const updated = await prisma.modelCall.updateMany({
    where: { idempotencyKey, outcome: { in: [...UNSETTLED_OUTCOMES] } },
    data: { ...settled, error: entry.error ?? null, settleBy: null },
  });
  if (updated.count > 0) return;
  await prisma.modelCall.createMany({ data: [rowOf(entry)], skipDuplicates: true });
}

/**
 * The line of a call about to be sent, with the most it can cost reserved: what it costs if it is
 * never answered to us, so that the ledger (and every budget read from it) never counts less than
 * the providers may charge, whatever happens to the call.
 */
export async function reserveModelCall(
  prisma: PrismaClient,
  entry: LedgerEntry & { reservedPicos: bigint; settleBy: Date },
): Promise<void> {
  const { reservedPicos, ...line } = entry;
  await prisma.modelCall.createMany({
    data: [{ ...rowOf(line), outcome: 'sent', reservedUsd: new Prisma.Decimal(formatUsdExact(reservedPicos)) }],
    skipDuplicates: true,
  });
}

/** A call sent and never to be answered to us: it costs its reserve, and says why. */
export async function markModelCallUnknown(prisma: PrismaClient, idempotencyKey: string, why: string): Promise<void> {
  await prisma.$executeRaw`
    UPDATE "ModelCall" SET outcome = 'unknown', error = ${why}, "costUsd" = COALESCE("reservedUsd", "costUsd"), "settleBy" = NULL
    WHERE "idempotencyKey" = ${idempotencyKey} AND outcome = 'sent'`;
}

/** Calls still `sent` past the time their answer could come (their gateway died): `unknown` now, at their reserve. */
export async function sweepUnsettledModelCalls(prisma: PrismaClient, now = new Date()): Promise<number> {
  const why = 'no answer was recorded: its gateway went away mid-call; counted at the most it can cost';
  return prisma.$executeRaw`
    UPDATE "ModelCall" SET outcome = 'unknown', error = ${why}, "costUsd" = COALESCE("reservedUsd", "costUsd"), "settleBy" = NULL
    WHERE outcome = 'sent' AND "settleBy" < ${now}`;
}

const toPicos = (value: Prisma.Decimal | null | undefined) => (value ? parseUsd(value.toFixed(12)) : 0n);

export async function projectSpend(prisma: PrismaClient, projectId: string): Promise<bigint> {
  const sum = await prisma.modelCall.aggregate({ where: { projectId }, _sum: { costUsd: true } });
  return toPicos(sum._sum.costUsd);
}

/** What councils spent since midnight UTC, every project together. */
/** What the calls charged to one workflow (a council) cost so far, settled or reserved at their most. */
export async function workflowSpend(prisma: PrismaClient, workflowId: string): Promise<bigint> {
  const sum = await prisma.modelCall.aggregate({ where: { workflowId }, _sum: { costUsd: true } });
  return toPicos(sum._sum.costUsd);
}

export async function councilSpendToday(prisma: PrismaClient, now = new Date()): Promise<bigint> {
  const midnight = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const sum = await prisma.modelCall.aggregate({
    where: { purpose: { in: ['council', 'judge'] }, occurredAt: { gte: midnight } },
    _sum: { costUsd: true },
  });
  return toPicos(sum._sum.costUsd);
}

/** A project's limits: its own (`settings.budget`), else the configured defaults. */
export function projectBudgetLimits(settings: unknown, defaults: BudgetLimits): BudgetLimits {
  const budget = (settings as { budget?: Partial<BudgetLimits> } | null)?.budget ?? {};
  return {
    softUsd: budget.softUsd ?? defaults.softUsd,
    hardUsd: budget.hardUsd ?? defaults.hardUsd,
    emergencyUsd: budget.emergencyUsd ?? defaults.emergencyUsd,
  };
}

export interface BudgetStatus {
  limits: BudgetLimits;
  /** Exact, twelve decimals. */
  spentUsd: string;
  tier: BudgetTier;
  council: { spentTodayUsd: string; dailyUsd: number; exhausted: boolean };
}

export async function budgetStatus(
  prisma: PrismaClient,
  projectId: string,
  defaults: BudgetLimits & { councilDailyUsd: number },
): Promise<BudgetStatus> {
  const [project, spent, council] = await Promise.all([
    prisma.project.findUniqueOrThrow({ where: { id: projectId }, select: { settings: true } }),
    projectSpend(prisma, projectId),
    councilSpendToday(prisma),
  ]);
  const limits = projectBudgetLimits(project.settings, defaults);
  return {
    limits,
    spentUsd: formatUsdExact(spent),
    tier: budgetTier(spent, limits),
    council: {
      spentTodayUsd: formatUsdExact(council),
      dailyUsd: defaults.councilDailyUsd,
      exhausted: council >= parseUsd(defaults.councilDailyUsd),
    },
  };
}

export interface CostFilter {
  projectId?: string;
  subtaskId?: string;
  from?: Date;
  to?: Date;
}

/** The key of the calls of no project (or no subtask) in a summary's lines. */
export const UNATTRIBUTED = '(none)';

export interface CostLine {
  key: string;
  costUsd: string;
  calls: number;
  inputTokens: number;
  outputTokens: number;
}

/** Spend summed per project, subtask, model and day (UTC), with the total. */
export async function costSummary(prisma: PrismaClient, filter: CostFilter) {
  const where: Prisma.ModelCallWhereInput = {
    ...(filter.projectId ? { projectId: filter.projectId } : {}),
    ...(filter.subtaskId ? { subtaskId: filter.subtaskId } : {}),
    ...(filter.from || filter.to
      ? { occurredAt: { ...(filter.from ? { gte: filter.from } : {}), ...(filter.to ? { lt: filter.to } : {}) } }
      : {}),
  };
  const sums = { _sum: { costUsd: true, inputTokens: true, outputTokens: true }, _count: { _all: true } } as const;
  const [total, byProject, bySubtask, byModel] = await Promise.all([
    prisma.modelCall.aggregate({ where, ...sums }),
    prisma.modelCall.groupBy({ by: ['projectId'], where, ...sums }),
    prisma.modelCall.groupBy({ by: ['subtaskId'], where, ...sums }),
    prisma.modelCall.groupBy({ by: ['model'], where, ...sums }),
  ]);
  const byDay = await prisma.$queryRaw<
    Array<{ day: string; cost: Prisma.Decimal | null; calls: bigint; input: bigint | null; output: bigint | null }>
  >`
    SELECT to_char("occurredAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, sum("costUsd") AS cost, count(*) AS calls, sum("inputTokens") AS input, sum("outputTokens") AS output
    FROM "ModelCall"
    WHERE (${filter.projectId ?? null}::uuid IS NULL OR "projectId" = ${filter.projectId ?? null}::uuid)
      AND (${filter.subtaskId ?? null}::uuid IS NULL OR "subtaskId" = ${filter.subtaskId ?? null}::uuid)
      AND (${filter.from ?? null}::timestamptz IS NULL OR "occurredAt" >= ${filter.from ?? null}::timestamptz)
      AND (${filter.to ?? null}::timestamptz IS NULL OR "occurredAt" < ${filter.to ?? null}::timestamptz)
    GROUP BY 1 ORDER BY 1`;
  const line = (
    key: string | null,
    row: {
      _sum: { costUsd: Prisma.Decimal | null; inputTokens: number | null; outputTokens: number | null };
      _count: { _all: number };
    },
  ): CostLine => ({
    key: key ?? UNATTRIBUTED,
    costUsd: formatUsdExact(toPicos(row._sum.costUsd)),
    calls: row._count._all,
    inputTokens: row._sum.inputTokens ?? 0,
    outputTokens: row._sum.outputTokens ?? 0,
  });
  const byCost = (a: CostLine, b: CostLine) =>
    parseUsd(b.costUsd) > parseUsd(a.costUsd)
      ? 1
      : parseUsd(b.costUsd) < parseUsd(a.costUsd)
        ? -1
        : a.key.localeCompare(b.key);
  return {
    total: line('total', total),
    byProject: byProject.map((row) => line(row.projectId, row)).sort(byCost),
    bySubtask: bySubtask.map((row) => line(row.subtaskId, row)).sort(byCost),
    byModel: byModel.map((row) => line(row.model, row)).sort(byCost),
    byDay: byDay.map((row) => ({
      key: row.day,
      costUsd: formatUsdExact(toPicos(row.cost)),
      calls: Number(row.calls),
      inputTokens: Number(row.input ?? 0),
      outputTokens: Number(row.output ?? 0),
    })),
  };
}
