/*
 * Whether a strategic review's answer is guidance, with no library: the subtask workflow reads it
 * too (review-guidance.ts is the same rule as a zod schema, for activities).
 */

/** Past this an answer that opens with an apology or an "I can't…" goes on to say something. */
const REFUSAL_MAX_CHARS = 400;
/** After the "I can't…", these turn to what the model can say: guidance follows. */
const PIVOT = /\b(?:but|however|instead|that said|still)\b/i;

const REFUSAL =
  /^(?:(?:i'?m |i am )?(?:very |so )?sorry[,.!]?\s*|unfortunately,?\s*|apologies[,.!]?\s*|as an ai(?: language model)?,?\s*)*(?:but\s+)?(?:i\s*(?:cannot|can ?not|can't|won't|will not|am unable to|'m unable to|am not able to|'m not able to|do not have|don't have|must decline|have to decline|am not in a position to|'m not in a position to)\b|(?:that|this) is (?:not something|beyond what) i\b|i'?m afraid i (?:cannot|can't)\b|no guidance\b)/i;

/** A short answer that opens with a refusal and does not turn to guidance after it (`I can't X, but…`). */
export function isRefusal(text: string): boolean {
  const plain = text
    .trim()
    .replaceAll('’', "'")
    .replace(/^["'*_\s]+/, '');
  if (plain.length > REFUSAL_MAX_CHARS) return false;
  const opening = REFUSAL.exec(plain);
  return opening !== null && !PIVOT.test(plain.slice(opening[0].length));
}

export function firstLine(text: string): string {
  const line = text.split('\n')[0]!;
  return line.length > 120 ? `${line.slice(0, 119)}…` : line;
}

/** What is wrong with a review's answer as guidance (empty, or only declining); undefined when it is guidance. */
export function guidanceProblem(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return 'its answer was empty';
  if (isRefusal(trimmed)) return `it declined: "${firstLine(trimmed)}"`;
  return undefined;
}
