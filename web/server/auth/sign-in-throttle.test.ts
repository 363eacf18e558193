import { describe, expect, test } from 'vitest';
import { SignInThrottle } from './sign-in-throttle.js';

describe('SignInThrottle', () => {
  const options = { freeFailures: 3, firstLockMs: 1_000, maxLockMs: 4_000, forgetAfterMs: 60_000, maxNames: 2 };

  test('locks a name after the free failures, doubling up to the maximum, and a success forgives', () => {
    let now = 0;
    const throttle = new SignInThrottle(options, () => now);
    throttle.failed('alice');
    throttle.failed('alice');
    expect(throttle.waitFor('alice')).toBe(0);
    throttle.failed('alice');
    expect(throttle.waitFor('alice')).toBe(1_000);
    expect(throttle.waitFor('bob')).toBe(0);
    now = 1_000;
    throttle.failed('alice');
    expect(throttle.waitFor('alice')).toBe(2_000);
    throttle.failed('alice');
    throttle.failed('alice');
    expect(throttle.waitFor('alice')).toBe(4_000);
    throttle.succeeded('alice');
    expect(throttle.waitFor('alice')).toBe(0);
  });

  test('forgets old failures and keeps at most maxNames names', () => {
    let now = 0;
    const throttle = new SignInThrottle(options, () => now);
    for (let i = 0; i < 3; i += 1) throttle.failed('alice');
    now = 120_000;
    throttle.failed('bob');
    throttle.failed('carol');
    throttle.failed('dave');
    for (let i = 0; i < 2; i += 1) throttle.failed('dave');
    expect(throttle.waitFor('dave')).toBe(1_000);
    expect(throttle.waitFor('alice')).toBe(0);
  });
});
