/**
 * The escalation ladder's pure parts: its settings, what kind of problem a failure is, how a council
 * picks its winner, and what a person is offered at the top. Workflow code imports this file.
 */
import type { ModelsSnapshot } from './models.js';
import type { OverrideAction } from './override-rules.js';
import type { ModelAvailability } from './routing.js';

export const COUNCIL_STRATEGIES = ['test_winner', 'majority', 'weighted', 'best_reasoning'] as const;
export type CouncilStrategy = (typeof COUNCIL_STRATEGIES)[number];

export interface CouncilSettings {
  enabled: boolean;
  /** The members, by registry id; when empty, chosen from the routing lists (different providers first). */
  members: string[];
  size: number;
  strategy: CouncilStrategy;
  /** The judge of `best_reasoning`; the strategic models when empty. */
  judge: string[];
  memberTimeoutMs: number;
  /** What one council may spend, all members together. */
  maxCostUsd: number;
}

export interface LadderSettings {
  /** Tier 2: the strategic model reviews the failures and writes guidance for more attempts. */
  strategicReview: boolean;
  /** Attempts after the review, with its guidance. */
  reviewAttempts: number;
  /** Tier 3. */
  council: CouncilSettings;
  /** Tier 4: a person is reminded this often while nobody answers (0: never). */
  reminderMs: number;
  /** Tiers 2 and 3 per phase (both on unless switched off). */
  phases: Partial<Record<string, { strategicReview?: boolean; council?: boolean }>>;
}

/**
 * The ladder of a subtask started before the ladder existed (its input has none): straight to a
 * person, with no reminder timer, exactly as its history recorded.
 */
export const LADDER_OF_EARLIER_SUBTASKS: LadderSettings = {
  strategicReview: false,
  reviewAttempts: 0,
  council: {
    enabled: false,
    members: [],
    size: 0,
    strategy: 'test_winner',
    judge: [],
    memberTimeoutMs: 0,
    maxCostUsd: 0,
  },
  reminderMs: 0,
  phases: {},
};

/** The kind of problem a failure is, for the council's record and its win rates: `green/assertion`. */
export function problemTypeOf(phase: string, failure: { reason: string; outputTail: string }): string {
  const text = `${failure.reason}\n${failure.outputTail}`;
  const kinds: Array<[string, RegExp]> = [
    ['syntax', /SyntaxError|Unexpected token|ParseError|IndentationError/],
    ['reference', /ReferenceError|is not defined|NameError|Cannot find (module|name)|ERR_MODULE_NOT_FOUND/],
    ['type', /TypeError|is not a function|undefined is not/],
    ['hang', /printed nothing|timed out|did not finish|absolute limit/],
    ['assertion', /AssertionError|expected .* to|Expected|assert/i],
    ['tests_pass', /already pass|red tests must fail/],
    ['agent', /answer could not be used|did not finish within|stopped without calling finish/],
  ];
  const kind = kinds.find(([, pattern]) => pattern.test(text))?.[0] ?? 'other';
  return `${phase}/${kind}`;
}

/** A council member's candidate, as the judge sees it. */
export interface Candidate {
  model: string;
  status: 'proposed' | 'failed' | 'timed_out';
  sha?: string;
  /** The phase's check passed on the candidate. */
  passedCheck: boolean;
  testsPassed: number;
  testsFailed: number;
  diffLines: number;
  /** Candidates with the same tree made the same change. */
  treeSha?: string;
  confidence?: number;
  /** From the judge of `best_reasoning`: 0 to 10 each. */
  scores?: { correctness: number; reasoning: number; tests: number; confidence: number };
}

export const RUBRIC = { correctness: 0.4, reasoning: 0.25, tests: 0.2, confidence: 0.15 } as const;

export interface CouncilDecision {
  winner?: string;
  reason: string;
  /** Every candidate, best first. */
  ranking: string[];
}

/**
 * The winner among the candidates that pass the phase's check, by the strategy:
 * - test winner: most tests passing, then fewest failing, then the smallest diff;
 * - majority: the change most candidates made alike (the same tree), then the test winner;
 * - weighted: each model's historical win rate for this problem type, then the test winner;
 * - best reasoning: the judge's rubric score (correctness 40%, reasoning 25%, tests 20%, confidence 15%).
 */
export function pickWinner(
  strategy: CouncilStrategy,
  candidates: readonly Candidate[],
  winRates: Readonly<Record<string, number>> = {},
): CouncilDecision {
  const eligible = candidates.filter((candidate) => candidate.status === 'proposed' && candidate.passedCheck);
  const byTests = [...eligible].sort(testOrder);
  const ranking = [...byTests, ...candidates.filter((candidate) => !eligible.includes(candidate))].map(
    (candidate) => candidate.model,
  );
  if (eligible.length === 0)
    return {
      reason: `no candidate passes: ${candidates.map(describeFailed).join('; ') || 'there were none'}`,
      ranking,
    };

  const tests = (candidate: Candidate) =>
    `passes ${candidate.testsPassed}/${candidate.testsPassed + candidate.testsFailed}`;
  switch (strategy) {
    case 'majority': {
      const groups = new Map<string, Candidate[]>();
      for (const candidate of byTests)
        groups.set(candidate.treeSha ?? candidate.model, [
          ...(groups.get(candidate.treeSha ?? candidate.model) ?? []),
          candidate,
        ]);
      const largest = [...groups.values()].sort((a, b) => b.length - a.length || testOrder(a[0]!, b[0]!))[0]!;
      if (largest.length < 2)
        return {
          winner: byTests[0]!.model,
          reason: `no two candidates agree; the test winner: ${tests(byTests[0]!)}`,
          ranking,
        };
      return {
        winner: largest[0]!.model,
        reason: `${largest.length} of ${eligible.length} passing candidates agree (${largest.map((candidate) => candidate.model).join(', ')}); ${tests(largest[0]!)}`,
        ranking,
      };
    }
    case 'weighted': {
      const rate = (candidate: Candidate) => winRates[candidate.model] ?? 0.5;
      const ordered = [...byTests].sort((a, b) => rate(b) - rate(a) || testOrder(a, b));
      const best = ordered[0]!;
      return {
        winner: best.model,
        reason: `win rate ${Math.round(rate(best) * 100)}% for this kind of problem; ${tests(best)}`,
        ranking: ordered.map((candidate) => candidate.model),
      };
    }
    case 'best_reasoning': {
      if (eligible.some((candidate) => !candidate.scores))
        return {
          winner: byTests[0]!.model,
          reason: `the judge gave no scores; the test winner: ${tests(byTests[0]!)}`,
          ranking,
        };
      const ordered = [...byTests].sort((a, b) => rubricScore(b) - rubricScore(a) || testOrder(a, b));
      const best = ordered[0]!;
      return {
        winner: best.model,
        reason: `judge score ${rubricScore(best).toFixed(1)}/10; ${tests(best)}`,
        ranking: ordered.map((candidate) => candidate.model),
      };
    }
    case 'test_winner':
      return {
        winner: byTests[0]!.model,
        reason: `${tests(byTests[0]!)}, ${byTests[0]!.diffLines} changed lines`,
        ranking,
      };
  }
}

export function rubricScore(candidate: Candidate): number {
  const scores = candidate.scores!;
  return (
    scores.correctness * RUBRIC.correctness +
    scores.reasoning * RUBRIC.reasoning +
    scores.tests * RUBRIC.tests +
    scores.confidence * RUBRIC.confidence
  );
}

function testOrder(a: Candidate, b: Candidate): number {
  return (
    b.testsPassed - a.testsPassed ||
    a.testsFailed - b.testsFailed ||
    a.diffLines - b.diffLines ||
    a.model.localeCompare(b.model)
  );
}

function describeFailed(candidate: Candidate): string {
  if (candidate.status === 'timed_out') return `${candidate.model} timed out`;
  if (candidate.status === 'failed') return `${candidate.model} gave no candidate`;
  return `${candidate.model} fails ${candidate.testsFailed} test(s)`;
}

/**
 * The members: the configured ones, else from the routing lists — one per provider first, so the
 * council hears different models — as many as `size`, among those that can be called now.
 */
export function councilMembers(
  configured: readonly string[],
  preferences: readonly string[],
  providerOf: (model: string) => string | undefined,
  callable: readonly string[],
  size: number,
): string[] {
  const candidates = [...new Set(configured.length > 0 ? configured : preferences)].filter((model) =>
    callable.includes(model),
  );
  if (configured.length > 0) return candidates.slice(0, Math.max(size, configured.length));
  const chosen: string[] = [];
  const providers = new Set<string>();
  for (const model of candidates) {
    if (chosen.length >= size) break;
    if (!providers.has(providerOf(model) ?? model)) {
      chosen.push(model);
      providers.add(providerOf(model) ?? model);
    }
  }
  for (const model of candidates) if (chosen.length < size && !chosen.includes(model)) chosen.push(model);
  return chosen;
}

/** What a person is offered when the ladder reaches them: two to four options, the recommended one first. */
export function humanOptions(context: { otherModel?: string; earlierPhase?: string }): {
  options: Array<'retry' | 'retry_with_model' | 'skip' | 'reset' | 'cancel'>;
  details: Record<string, string>;
} {
  const details: Record<string, string> = {
    retry: 'Try the phase again, with a hint from you',
    skip: 'Skip this phase and go on',
    cancel: 'Abort the subtask (its branch stays for inspection)',
  };
  if (context.otherModel)
    details.retry_with_model = `Try again with another model: ${context.otherModel} has not tried this phase`;
  if (context.earlierPhase) details.reset = `Go back to ${context.earlierPhase} and redo the work from there`;
  // At most four: with both another model and an earlier phase, skipping (an admin's override still can) gives way.
  if (context.otherModel && context.earlierPhase)
    return { options: ['retry_with_model', 'retry', 'reset', 'cancel'], details };
  if (context.otherModel) return { options: ['retry_with_model', 'retry', 'skip', 'cancel'], details };
  if (context.earlierPhase) return { options: ['retry', 'reset', 'skip', 'cancel'], details };
  return { options: ['retry', 'skip', 'cancel'], details };
}

/** What a person may answer a block with: an override, a retry with another model, or a raised budget. */
export type BlockOption = OverrideAction | 'retry_with_model' | 'raise_budget';

/** Each option as the escalation shows it. */
export const OPTION_LABELS: Record<BlockOption, string> = {
  raise_budget: "Raise the project's budget (project.setBudget)",
  retry_with_model: 'Retry with another model',
  retry: 'Retry the phase (with a hint)',
  skip: 'Skip the phase',
  reset: 'Reset to an earlier phase',
  cancel: 'Cancel the subtask',
  force_complete: 'Force complete',
  reassign: 'Reassign the role',
  pause: 'Pause',
  resume: 'Resume',
};

/** The models that can be called now: some gateway serves them and their provider's circuit is closed. */
export function callableModels(models: ModelsSnapshot, availability: ModelAvailability): string[] {
  return availability.available.filter((model) => !availability.openCircuits[models.registry[model]!.provider]);
}

/** Where a council's members come from when none are configured: the routing lists, strongest thinkers first. */
export function councilPreferences(routing: ModelsSnapshot['routing']): string[] {
  return [...routing.strategic, ...routing.tactical.strong, ...routing.strongest, ...routing.tactical.cheap];
}

/**
 * A model that can be called and has neither tried this phase nor sat on its council: what "retry
 * with another model" offers a person.
 */
export function untriedModel(
  models: ModelsSnapshot,
  availability: ModelAvailability,
  tried: ReadonlySet<string>,
  councilMembers: readonly string[] = [],
): string | undefined {
  const routing = models.routing;
  const callable = callableModels(models, availability);
  return [...routing.tactical.strong, ...routing.strategic, ...routing.strongest, ...routing.tactical.cheap].find(
    (model) => callable.includes(model) && !tried.has(model) && !councilMembers.includes(model),
  );
}
