import { describe, expect, test } from 'vitest';
import { attemptStatus, nextRung, personTier, retryDelayMs } from './attempts.js';
import { SUBTASK_STATUSES } from './lifecycle.js';

describe('the wait before the next try', () => {
  test('doubles from the first wait and stops at the cap', () => {
    const settings = { retryBackoffMs: 2_000, retryBackoffMaxMs: 10_000 };
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(n, settings))).toEqual([2_000, 4_000, 8_000, 10_000, 10_000]);
  });
});

describe('the ladder’s next rung', () => {
  const on = { strategicReview: true, council: true };
  test('review first, then the council, then a person', () => {
    expect(nextRung(on, { reviewed: false, councilTried: false })).toBe('review');
    expect(nextRung(on, { reviewed: true, councilTried: false })).toBe('council');
    expect(nextRung(on, { reviewed: true, councilTried: true })).toBe('person');
  });
  test('a tier that is off is passed over', () => {
    expect(nextRung({ strategicReview: false, council: true }, { reviewed: false, councilTried: false })).toBe(
      'council',
    );
    expect(nextRung({ strategicReview: true, council: false }, { reviewed: true, councilTried: false })).toBe('person');
    expect(nextRung({ strategicReview: false, council: false }, { reviewed: false, councilTried: false })).toBe(
      'person',
    );
  });
  test('a person is asked at tier 4 after the upper tiers, at tier 1 without them', () => {
    expect(personTier(on)).toBe(4);
    expect(personTier({ strategicReview: false, council: true })).toBe(4);
    expect(personTier({ strategicReview: false, council: false })).toBe(1);
  });
});

describe('the status an attempt starts in', () => {
  test('after a failure the subtask still shows, it is retrying', () => {
    expect(attemptStatus('failed', true)).toBe('retrying');
    expect(attemptStatus('blocked', true)).toBe('retrying');
  });
  test('without one, a subtask that is not working yet starts working; one that is goes on as it is', () => {
    const expected = Object.fromEntries(
      SUBTASK_STATUSES.map((status) => [
        status,
        status === 'in_progress' || status === 'retrying' ? undefined : 'in_progress',
      ]),
    );
    expect(Object.fromEntries(SUBTASK_STATUSES.map((status) => [status, attemptStatus(status, false)]))).toEqual(
      expected,
    );
    expect(attemptStatus('testing', true)).toBe('in_progress');
    expect(attemptStatus('retrying', true)).toBeUndefined();
  });
});
