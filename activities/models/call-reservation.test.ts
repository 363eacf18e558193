import { describe, expect, test } from 'vitest';
import { reservedUsage } from './call-reservation.js';
import { countTokens } from './tokens.js';

describe('reservedUsage', () => {
  test('counts more input than the tokenizer does, and all the output each protocol allows', () => {
    const messages = [{ role: 'user', content: 'Add a tax line to the cart total, rounded half-up to the cent. ✓' }];
    const anthropic = JSON.stringify({ model: 'm', max_tokens: 4096, messages });
    const reserved = reservedUsage(anthropic);
    expect(reserved.inputTokens).toBeGreaterThan(countTokens(anthropic));
    expect(reserved.outputTokens).toBe(4096);
    expect(reservedUsage(JSON.stringify({ model: 'm', max_completion_tokens: 900, messages })).outputTokens).toBe(900);
    expect(reservedUsage(JSON.stringify({ model: 'm', max_output_tokens: 700, input: 'x' })).outputTokens).toBe(700);
    expect(
      reservedUsage(JSON.stringify({ contents: [], generationConfig: { maxOutputTokens: 2048 } })).outputTokens,
    ).toBe(2048);
  });

  test('a request that names no output limit (or is not JSON) reserves its input only', () => {
    expect(reservedUsage(JSON.stringify({ model: 'm', messages: [] }))).toMatchObject({ outputTokens: 0 });
    expect(reservedUsage('not json at all')).toEqual({ inputTokens: 5, outputTokens: 0, cachedInputTokens: 0 });
    expect(reservedUsage('')).toEqual({ inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 });
  });
});
