/**
 * Text PostgreSQL cannot store: a NUL character (text and jsonb refuse it) and a lone UTF-16
 * surrogate (not Unicode; jsonb refuses its escape). Plain functions: workflow code uses them too.
 */

export const NUL_PROBLEM = 'contains a NUL character (\\u0000), which cannot be stored: remove it';
export const SURROGATE_PROBLEM =
  'contains a lone UTF-16 surrogate (broken Unicode), which cannot be stored: send well-formed text';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `value` cannot be stored, or undefined when it can. */
export function unstorableProblem(value: string): string | undefined {
  if (value.includes('\u0000')) return NUL_PROBLEM;
  if (LONE_SURROGATE.test(value)) return SURROGATE_PROBLEM;
  return undefined;
}

/** `4000` -> `4,000`, the same on every machine. */
export function formatCount(count: number): string {
  return String(count).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** The refusal of text over its limit: the field, the limit, and how long it was. */
export function tooLongMessage(what: string, max: number, length?: number): string {
  return `${what} has at most ${formatCount(max)} characters${length === undefined ? '' : `; this one has ${formatCount(length)}`}`;
}

/** The bounds of free text, sized well under Temporal's payload limits (a message, a workflow input). */
export const TEXT_LIMITS = {
  /** A reason, a comment, a hint: a paragraph or a few. */
  reason: 4_000,
  title: 200,
  description: 20_000,
  criterion: 1_000,
  criteria: 30,
  path: 500,
  paths: 200,
  /** A name: a project, a subtask key, a user, a task queue. */
  identifier: 100,
} as const;
