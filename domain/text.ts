/**
 * The building blocks of every text field the API takes: bounded, and refused when PostgreSQL
 * could not store it, with the field and the limit named.
 */
import { z } from 'zod';
import { TEXT_LIMITS, tooLongMessage, unstorableProblem } from './storable-text.js';

export { TEXT_LIMITS } from './storable-text.js';

/** Refuses text PostgreSQL cannot store (a NUL, a lone surrogate), naming `what`. */
export function storable(what: string) {
  return (value: string, ctx: z.RefinementCtx) => {
    const problem = unstorableProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: `${what} ${problem}` });
  };
}

/**
 * Free text of at most `max` characters that PostgreSQL can store; `what` names it in refusals.
 * With `trim`, the limit counts the text without its surrounding blanks.
 */
export function boundedText(max: number, what: string, options: { trim?: boolean } = {}) {
  return (options.trim ? z.string().trim() : z.string())
    .max(max, { error: (issue) => tooLongMessage(what, max, (issue.input as string | undefined)?.length) })
    .superRefine(storable(what));
}

/**
 * A name (a project, a key, a user, a queue): at most `max` characters (100 unless given), matching
 * `pattern`; `hint` says what a good one looks like.
 */
export function identifier(what: string, pattern: RegExp, hint: string, max: number = TEXT_LIMITS.identifier) {
  return z
    .string()
    .max(max, { error: (issue) => tooLongMessage(what, max, (issue.input as string | undefined)?.length) })
    .superRefine(storable(what))
    .regex(pattern, hint);
}
