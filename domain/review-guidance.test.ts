import { describe, expect, test } from 'vitest';
import { StrategicGuidance, isRefusal } from './review-guidance.js';

describe("the strategic review's answer", () => {
  test('guidance is the answer, trimmed', () => {
    expect(StrategicGuidance.parse('  Keep subtotal() as it is and add total() beside it.\n')).toBe(
      'Keep subtotal() as it is and add total() beside it.',
    );
  });

  test.each([
    'I cannot help with that.',
    "I can't help with this request.",
    "I'm unable to assist with that.",
    'I am unable to review this code.',
    'I’m sorry, but I can’t help with that.',
    "Sorry, I'm not able to provide guidance here.",
    'Unfortunately, I cannot assist with this request.',
    'As an AI language model, I cannot run your tests.',
    "I'm afraid I can't do that.",
    'I do not have enough information to give guidance.',
    '"I cannot help with that."',
  ])('a refusal is no guidance: %s', (answer) => {
    expect(isRefusal(answer)).toBe(true);
    const parsed = StrategicGuidance.safeParse(answer);
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0]!.message).toMatch(/^it declined: "/);
  });

  test('an empty answer is no guidance', () => {
    for (const answer of ['', '   \n\t ']) {
      const parsed = StrategicGuidance.safeParse(answer);
      expect(parsed.error!.issues[0]!.message).toBe('its answer was empty');
    }
  });

  test.each([
    'total() must round to cents: the test expects 10.8, the code returns 10.799999.',
    // Opens like a refusal, then gives guidance: it is guidance.
    "I can't run the tests myself, but the failure is clear: subtotal() multiplies by the tax rate twice. Remove the second multiplication in src/cart.js and leave the tests alone; the test 'adds the tax' proves it once it passes, and nothing else needs to change in the file or in the others.",
    'The developer cannot see the failing test: tell it to read test/cart.test.js first.',
    "Don't touch the tests. I would change subtotal() to use Math.round(x * 100) / 100.",
  ])('guidance that mentions what cannot be done is still guidance: %s', (answer) => {
    expect(isRefusal(answer)).toBe(false);
    expect(StrategicGuidance.safeParse(answer).success).toBe(true);
  });
});
