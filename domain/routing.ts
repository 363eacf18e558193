import type { BudgetTier } from './budget.js';
import type { ComplexityLevel, ModelsSnapshot, RoutingSettings } from './models.js';

/** What routing reads of a subtask. */
export interface RoutedSpec {
  title: string;
  description: string;
  acceptanceCriteria: string[];
  filesInScope: string[];
  risk: 'low' | 'medium' | 'high';
}

export interface ComplexityAssessment {
  /** 0 (trivial) to 1. */
  score: number;
  level: ComplexityLevel;
  /** Hard-stop keywords found in the subtask: they force the strongest model. */
  hardStop: string[];
  factors: { files: number; risk: number; criteria: number };
  reason: string;
}

const RISK_SCORE = { low: 0.2, medium: 0.5, high: 0.8 } as const;

/**
 * Complexity = 0.4 × files (10 or more in scope count as 1) + 0.3 × risk (low 0.2, medium 0.5,
 * high 0.8) + 0.3 × acceptance criteria (8 or more count as 1).
 */
export function assessComplexity(
  spec: RoutedSpec,
  routing: Pick<RoutingSettings, 'complexityThreshold' | 'hardStopKeywords'>,
): ComplexityAssessment {
  const factors = {
    files: Math.min(spec.filesInScope.length / 10, 1),
    risk: RISK_SCORE[spec.risk],
    criteria: Math.min(spec.acceptanceCriteria.length / 8, 1),
  };
  const score = Math.round((0.4 * factors.files + 0.3 * factors.risk + 0.3 * factors.criteria) * 1000) / 1000;
  const hardStop = hardStopKeywordsIn(spec, routing.hardStopKeywords);
  const threshold = routing.complexityThreshold;
  if (hardStop.length > 0) {
    return {
      score,
      level: 'strongest',
      hardStop,
      factors,
      reason: `hard-stop keyword${hardStop.length > 1 ? 's' : ''} ${hardStop.join(', ')}: the strongest model, whatever the budget`,
    };
  }
  if (score >= threshold)
    return {
      score,
      level: 'strong',
      hardStop,
      factors,
      reason: `complexity ${score.toFixed(2)} ≥ ${threshold.toFixed(2)}: the strong models`,
    };
  return {
    score,
    level: 'cheap',
    hardStop,
    factors,
    reason: `complexity ${score.toFixed(2)} < ${threshold.toFixed(2)}: the cheap models`,
  };
}

/**
 * The keywords that appear as words of the subtask (title, description, criteria, files): words
 * are split at camelCase and at anything but letters and digits, and a keyword matches a word or
 * its plural (`payment` in `PaymentService.ts` and `Refund payments`, `migration` in
 * `prisma/migrations`), never a longer word (`auth` is not in `author`).
 */
export function hardStopKeywordsIn(spec: RoutedSpec, keywords: readonly string[]): string[] {
  const text = [spec.title, spec.description, ...spec.acceptanceCriteria, ...spec.filesInScope].join('\n');
  const words = wordsOf(text);
  const phrase = ` ${[...wordsInOrder(text)].join(' ')} `;
  return keywords.filter((keyword) => {
    const parts = wordsInOrder(keyword);
    if (parts.length === 1) return [parts[0]!, `${parts[0]}s`, `${parts[0]}es`].some((form) => words.has(form));
    return parts.length > 1 && phrase.includes(` ${parts.join(' ')} `);
  });
}

function wordsInOrder(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

function wordsOf(text: string): Set<string> {
  return new Set(wordsInOrder(text));
}

/** What the router knows of the world right now. */
export interface ModelAvailability {
  /** Registry ids whose provider can be called (its key exists). */
  available: string[];
  /** Providers whose circuit is open, with the time it closes again (ISO). */
  openCircuits: Record<string, string>;
}

export type RouteRequest =
  | { purpose: 'strategic' }
  | {
      purpose: 'agent';
      role: 'tester' | 'developer';
      phase: string;
      level: ComplexityLevel;
      tier: BudgetTier;
      /** Tried first when it is in the list (a model that wins this phase's councils), and why. */
      prefer?: { model: string; why: string };
    };

export type RouteDecision =
  | {
      model: string;
      /** The preference the decision started from, and why. */
      reason: string;
      /** Models passed over because their provider's circuit is open: a fallback, logged. */
      passedOver: Array<{ model: string; provider: string; until: string }>;
      downgraded: boolean;
    }
  | {
      model: undefined;
      reason: string;
      /** When the earliest open circuit closes, if waiting would help. */ retryAt?: string;
    };

/** The model for a piece of work: the first of its preference list that can be called now. */
export function chooseModel(
  models: ModelsSnapshot,
  request: RouteRequest,
  availability: ModelAvailability,
): RouteDecision {
  const listed = preferenceList(models.routing, request);
  const { downgraded } = listed;
  let { preferences, reason } = listed;
  if (
    request.purpose === 'agent' &&
    request.prefer &&
    preferences.includes(request.prefer.model) &&
    preferences[0] !== request.prefer.model
  ) {
    preferences = [request.prefer.model, ...preferences.filter((model) => model !== request.prefer!.model)];
    reason = `${reason}; ${request.prefer.model} first: ${request.prefer.why}`;
  }
  const passedOver: Array<{ model: string; provider: string; until: string }> = [];
  const missing: string[] = [];
  for (const id of preferences) {
    const model = models.registry[id];
    if (!model || !availability.available.includes(id)) {
      missing.push(id);
      continue;
    }
    const until = availability.openCircuits[model.provider];
    if (until) {
      passedOver.push({ model: id, provider: model.provider, until });
      continue;
    }
    return { model: id, reason, passedOver, downgraded };
  }
  const waits = passedOver.map((skip) => skip.until).sort();
  const why = [
    ...passedOver.map((skip) => `${skip.model} (${skip.provider} failing; retried after ${skip.until})`),
    ...(missing.length > 0 ? [`${missing.join(', ')} (no key for their provider)`] : []),
  ].join('; ');
  return {
    model: undefined,
    reason: `no model of [${preferences.join(', ')}] can be called: ${why}`,
    retryAt: waits[0],
  };
}

function preferenceList(
  routing: RoutingSettings,
  request: RouteRequest,
): { preferences: string[]; reason: string; downgraded: boolean } {
  if (request.purpose === 'strategic')
    return { preferences: routing.strategic, reason: 'strategic work: the strategic model', downgraded: false };
  if (request.level === 'strongest')
    return { preferences: routing.strongest, reason: 'a hard-stop subtask: the strongest model', downgraded: false };
  const downgraded = request.level === 'strong' && request.tier !== 'ok';
  const level = downgraded ? 'cheap' : request.level;
  const preferences =
    routing.phases[request.phase]?.[level] ?? routing.roles[request.role]?.[level] ?? routing.tactical[level];
  const reason = downgraded
    ? `the soft budget limit is reached: the cheap models instead of the strong ones`
    : `the ${level} models of the ${request.role} in ${request.phase}`;
  return { preferences, reason, downgraded };
}
