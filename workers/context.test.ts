import { describe, expect, test } from 'vitest';
import { drainTimes, heartbeatThrottleMs } from './context.js';

describe('heartbeatThrottleMs', () => {
  test('a heartbeat goes out every quarter of the timeout, never rarer than every 10 s nor more often than every 250 ms', () => {
    expect(heartbeatThrottleMs(30_000)).toBe(7_500);
    expect(heartbeatThrottleMs(5_000)).toBe(1_250);
    expect(heartbeatThrottleMs(120_000)).toBe(10_000);
    expect(heartbeatThrottleMs(600)).toBe(250);
  });
});

describe('drainTimes', () => {
  test('running activities are cancelled 5 s (a quarter of a short grace) before the grace time ends, the process gone by its end', () => {
    expect(drainTimes(30_000)).toEqual({ cancelAtMs: 25_000, forceAtMs: 29_000, exitAtMs: 30_000 });
    expect(drainTimes(8_000)).toEqual({ cancelAtMs: 6_000, forceAtMs: 7_000, exitAtMs: 8_000 });
    expect(drainTimes(0)).toEqual({ cancelAtMs: 0, forceAtMs: 0, exitAtMs: 0 });
  });
});
