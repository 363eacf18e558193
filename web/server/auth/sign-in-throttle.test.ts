import { describe, expect, test } from 'vitest';
import { SignInThrottle } from './sign-in-throttle.js';

describe('SignInThrottle', () => {
  const options = { freeFailures: 3, firstLockMs: 1_000, maxLockMs: 4_000, forgetAfterMs: 60_000, maxEntries: 2 };
  const alice = { name: 'alice', source: '10.0.0.9' };

  test('locks a name from one source after the free failures, doubling up to the maximum, and a success forgives', () => {
    let now = 0;
    const throttle = new SignInThrottle(options, () => now);
    throttle.failed(alice);
    throttle.failed(alice);
    expect(throttle.waitFor(alice)).toBe(0);
    throttle.failed(alice);
    expect(throttle.waitFor(alice)).toBe(1_000);
    expect(throttle.waitFor({ name: 'bob', source: '10.0.0.9' })).toBe(0);
    now = 1_000;
    throttle.failed(alice);
    expect(throttle.waitFor(alice)).toBe(2_000);
    throttle.failed(alice);
    throttle.failed(alice);
    expect(throttle.waitFor(alice)).toBe(4_000);
    throttle.succeeded(alice);
    expect(throttle.waitFor(alice)).toBe(0);
  });

  test('failures from one source do not lock the name for another source', () => {
    const throttle = new SignInThrottle(options, () => 0);
    for (let i = 0; i < 20; i += 1) throttle.failed({ name: 'admin', source: '203.0.113.7' });
    expect(throttle.waitFor({ name: 'admin', source: '203.0.113.7' })).toBe(4_000);
    expect(throttle.waitFor({ name: 'admin', source: '127.0.0.1' })).toBe(0);
  });

  test('forgets old failures and keeps at most maxEntries name and source pairs', () => {
    let now = 0;
    const throttle = new SignInThrottle(options, () => now);
    for (let i = 0; i < 3; i += 1) throttle.failed(alice);
    now = 120_000;
    const from = (name: string) => ({ name, source: '10.0.0.1' });
    throttle.failed(from('bob'));
    throttle.failed(from('carol'));
    throttle.failed(from('dave'));
    for (let i = 0; i < 2; i += 1) throttle.failed(from('dave'));
    expect(throttle.waitFor(from('dave'))).toBe(1_000);
    expect(throttle.waitFor(alice)).toBe(0);
  });
});
