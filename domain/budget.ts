import { formatUsd, parseUsd } from './money.js';

/** A project's three budget tiers, in dollars. */
export interface BudgetLimits {
  softUsd: number;
  hardUsd: number;
  emergencyUsd: number;
}

/**
 * ok: spend freely. soft: warn, and route work to the cheaper models. hard: no new agent work until a
 * person raises the limit or stops. emergency: running agent calls are cancelled too.
 */
export type BudgetTier = 'ok' | 'soft' | 'hard' | 'emergency';

export const BUDGET_TIERS: readonly BudgetTier[] = ['ok', 'soft', 'hard', 'emergency'];

/** The tier a spend is in: a limit is reached when the spend is at or above it. */
export function budgetTier(spentPicos: bigint, limits: BudgetLimits): BudgetTier {
  if (spentPicos >= parseUsd(limits.emergencyUsd)) return 'emergency';
  if (spentPicos >= parseUsd(limits.hardUsd)) return 'hard';
  if (spentPicos >= parseUsd(limits.softUsd)) return 'soft';
  return 'ok';
}

export function atLeast(tier: BudgetTier, than: BudgetTier): boolean {
  return BUDGET_TIERS.indexOf(tier) >= BUDGET_TIERS.indexOf(than);
}

/** Why the limits are not in order, or nothing. */
export function budgetLimitsProblem(limits: BudgetLimits): string | undefined {
  if (!(limits.softUsd <= limits.hardUsd && limits.hardUsd <= limits.emergencyUsd)) {
    return `the tiers must rise: soft ${limits.softUsd} ≤ hard ${limits.hardUsd} ≤ emergency ${limits.emergencyUsd}`;
  }
  return undefined;
}

/** `$50.12 spent of the $50.00 hard limit` */
export function describeSpend(spentPicos: bigint, tier: BudgetTier, limits: BudgetLimits): string {
  const limit =
    tier === 'emergency'
      ? limits.emergencyUsd
      : tier === 'hard'
        ? limits.hardUsd
        : tier === 'soft'
          ? limits.softUsd
          : undefined;
  return limit === undefined
    ? `${formatUsd(spentPicos)} spent`
    : `${formatUsd(spentPicos)} spent of the ${formatUsd(parseUsd(limit))} ${tier} limit`;
}
