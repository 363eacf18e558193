import { describe, expect, test } from 'vitest';
import { boundedText, identifier } from './text.js';
import { formatCount, unstorableProblem } from './storable-text.js';

const messages = (result: { error?: { issues: Array<{ message: string }> } }) =>
  result.error?.issues.map((issue) => issue.message);

describe('text PostgreSQL can store', () => {
  test('a NUL and a lone surrogate are unstorable; paired surrogates (emoji) and ordinary text are fine', () => {
    expect(unstorableProblem('ok\u0000')).toMatch(/NUL character \(\\u0000\)/);
    expect(unstorableProblem('a\uD800b')).toMatch(/lone UTF-16 surrogate/);
    expect(unstorableProblem('\uDC00')).toMatch(/lone UTF-16 surrogate/);
    expect(unstorableProblem('déjà vu 🎉 — 東京')).toBeUndefined();
    expect(unstorableProblem('')).toBeUndefined();
  });

  test('formatCount groups thousands', () => {
    expect(formatCount(4_000)).toBe('4,000');
    expect(formatCount(20_000)).toBe('20,000');
    expect(formatCount(999)).toBe('999');
    expect(formatCount(1_234_567)).toBe('1,234,567');
  });
});

describe('boundedText', () => {
  const comment = boundedText(4_000, 'a comment');

  test('takes text up to its limit and refuses longer text, naming the field, the limit and the length', () => {
    expect(comment.parse('x'.repeat(4_000))).toHaveLength(4_000);
    expect(messages(comment.safeParse('x'.repeat(5_000)))).toEqual([
      'a comment has at most 4,000 characters; this one has 5,000',
    ]);
  });

  test('refuses a NUL or a lone surrogate with a clear message', () => {
    expect(messages(comment.safeParse('fine\u0000'))).toEqual([
      'a comment contains a NUL character (\\u0000), which cannot be stored: remove it',
    ]);
    expect(messages(comment.safeParse('broken \uD83D'))).toEqual([
      expect.stringMatching(/^a comment contains a lone UTF-16 surrogate/),
    ]);
  });

  test('chains like a string: min still applies; with trim, the limit counts the trimmed text', () => {
    const reason = boundedText(10, 'a reason', { trim: true }).min(3, 'say why');
    expect(reason.parse('  why not  ')).toBe('why not');
    expect(messages(reason.safeParse(' a '))).toEqual(['say why']);
  });

  test('refuses what is not a string', () => {
    expect(comment.safeParse(42).success).toBe(false);
  });
});

describe('identifier', () => {
  const key = identifier('a subtask key', /^[0-9a-z-]+$/, 'letters, digits and dashes');

  test('takes a name matching its pattern, at most 100 characters by default', () => {
    expect(key.parse('3-1')).toBe('3-1');
    expect(key.parse('a'.repeat(100))).toHaveLength(100);
    expect(messages(key.safeParse('a'.repeat(101)))).toEqual([
      'a subtask key has at most 100 characters; this one has 101',
    ]);
  });

  test('refuses a name off its pattern with the hint, and a NUL plainly', () => {
    expect(messages(key.safeParse('A B'))).toEqual(['letters, digits and dashes']);
    expect(messages(key.safeParse('a\u0000'))).toContain(
      'a subtask key contains a NUL character (\\u0000), which cannot be stored: remove it',
    );
  });

  test('takes a smaller limit', () => {
    expect(messages(identifier('a name', /^[a-z]+$/, 'letters', 5).safeParse('abcdef'))).toEqual([
      'a name has at most 5 characters; this one has 6',
    ]);
  });
});
