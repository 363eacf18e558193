import type { TokenUsage } from '../../domain/money.js';

/** No tokenizer makes fewer tokens of a text than one per this many bytes (o200k_base, UTF-8). */
const BYTES_PER_TOKEN_AT_LEAST = 3;

/**
 * The most a request can cost before its answer says what it did: its input at a token per three
 * bytes of the body (more than any tokenizer counts: framing and JSON included), and all the output
 * it allows (`max_tokens` and its namesakes in the providers' protocols; none named, none counted).
 */
export function reservedUsage(body: string): TokenUsage {
  return {
    inputTokens: Math.ceil(Buffer.byteLength(body) / BYTES_PER_TOKEN_AT_LEAST),
    outputTokens: maxOutputTokensOf(body),
    cachedInputTokens: 0,
  };
}

function maxOutputTokensOf(body: string): number {
  let request: Record<string, unknown>;
  try {
    request = JSON.parse(body) as Record<string, unknown>;
  } catch {
    return 0;
  }
  if (typeof request !== 'object' || request === null) return 0;
  const generation = request.generationConfig as Record<string, unknown> | undefined;
  const limits = [
    request.max_tokens,
    request.max_completion_tokens,
    request.max_output_tokens,
    generation?.maxOutputTokens,
  ];
  const limit = limits.find((value): value is number => typeof value === 'number' && Number.isFinite(value));
  return limit === undefined ? 0 : Math.max(0, Math.floor(limit));
}
