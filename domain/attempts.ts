/**
 * How a phase's attempts go on, in pure decisions the subtask workflow follows: how long it waits
 * before the next try, which rung of the escalation ladder comes next, and which status an attempt
 * starts in. Workflow code imports this file.
 */
import type { SubtaskStatus } from './lifecycle.js';

export interface BackoffSettings {
  retryBackoffMs: number;
  retryBackoffMaxMs: number;
}

/** The wait before try `n` (1, 2, 3…) of something that failed: doubling from the first, capped. */
export function retryDelayMs(n: number, settings: BackoffSettings): number {
  return Math.min(settings.retryBackoffMs * 2 ** (n - 1), settings.retryBackoffMaxMs);
}

/** Which of the ladder's upper tiers a phase may climb (the project's settings, per phase). */
export interface LadderTiers {
  strategicReview: boolean;
  council: boolean;
}

export type Rung = 'review' | 'council' | 'person';

/**
 * The next rung once a phase's attempts are spent: the strategic review (tier 2) and the council
 * (tier 3) once each per phase, where they are on; then a person (tier 4).
 */
export function nextRung(tiers: LadderTiers, climbed: { reviewed: boolean; councilTried: boolean }): Rung {
  if (tiers.strategicReview && !climbed.reviewed) return 'review';
  if (tiers.council && !climbed.councilTried) return 'council';
  return 'person';
}

/** The tier a person is asked at: 4 after the ladder's upper tiers, 1 where the phase has none. */
export function personTier(tiers: LadderTiers): 1 | 4 {
  return tiers.strategicReview || tiers.council ? 4 : 1;
}

/**
 * The status an agent attempt starts in: `retrying` after a failure the subtask is still marked
 * with, `in_progress` when it is not working yet, else none (it is working already).
 */
export function attemptStatus(status: SubtaskStatus, afterFailure: boolean): 'retrying' | 'in_progress' | undefined {
  if (afterFailure && (status === 'failed' || status === 'blocked')) return 'retrying';
  if (status !== 'in_progress' && status !== 'retrying') return 'in_progress';
  return undefined;
}
