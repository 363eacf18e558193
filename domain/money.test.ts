import { describe, expect, test } from 'vitest';
import { budgetTier } from './budget.js';
import { callCost, formatUsd, formatUsdExact, parseUsd } from './money.js';

describe('money', () => {
  test('dollars parse to picodollars exactly and print back with twelve decimals', () => {
    expect(parseUsd('12.5')).toBe(12_500_000_000_000n);
    expect(parseUsd(0.15)).toBe(150_000_000_000n);
    expect(parseUsd(1e-7)).toBe(100_000n);
    expect(parseUsd('-0.000000000001')).toBe(-1n);
    expect(formatUsdExact(parseUsd('0.1') + parseUsd('0.2'))).toBe('0.300000000000');
    expect(() => parseUsd('ten dollars')).toThrow(/not an amount/);
  });

  test('a call costs its fresh input, cached input and output tokens at their prices per million', () => {
    const prices = { inputPerMillion: 0.15, outputPerMillion: 0.6, cachedInputPerMillion: 0.075 };
    // 10,000 fresh × 0.15/M + 2,000 cached × 0.075/M + 500 × 0.60/M = 0.0015 + 0.00015 + 0.0003
    expect(formatUsdExact(callCost({ inputTokens: 12_000, outputTokens: 500, cachedInputTokens: 2_000 }, prices))).toBe(
      '0.001950000000',
    );
    // One token of a model at $0.075 per million: an amount that eight decimals would round away.
    expect(
      formatUsdExact(callCost({ inputTokens: 1, outputTokens: 0 }, { inputPerMillion: 0.075, outputPerMillion: 0 })),
    ).toBe('0.000000075000');
    expect(callCost({ inputTokens: 0, outputTokens: 0 }, prices)).toBe(0n);
  });

  test('a million calls of a tenth of a cent sum to exactly a thousand dollars', () => {
    const oneCall = callCost({ inputTokens: 1_000, outputTokens: 0 }, { inputPerMillion: 1, outputPerMillion: 0 });
    let total = 0n;
    for (let call = 0; call < 1_000_000; call++) total += oneCall;
    expect(formatUsdExact(total)).toBe('1000.000000000000');
  });

  test('amounts read well for people', () => {
    expect(formatUsd(parseUsd('12.345'))).toBe('$12.35');
    expect(formatUsd(parseUsd('0.0042'))).toBe('$0.0042');
    expect(formatUsd(0n)).toBe('$0.00');
    expect(formatUsd(parseUsd('0.08'))).toBe('$0.08');
    expect(formatUsd(parseUsd('0.12'))).toBe('$0.12');
    expect(formatUsd(parseUsd('0.125'))).toBe('$0.125');
    expect(formatUsd(parseUsd('0.00005'))).toBe('$0.0001');
  });

  test('budget tiers trip at the limit, to the picodollar', () => {
    const limits = { softUsd: 0.03, hardUsd: 0.06, emergencyUsd: 0.1 };
    expect(budgetTier(parseUsd('0.029999999999'), limits)).toBe('ok');
    expect(budgetTier(parseUsd('0.03'), limits)).toBe('soft');
    expect(budgetTier(parseUsd('0.059999999999'), limits)).toBe('soft');
    expect(budgetTier(parseUsd('0.06'), limits)).toBe('hard');
    expect(budgetTier(parseUsd('0.1'), limits)).toBe('emergency');
  });
});
