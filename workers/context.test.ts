import os from 'node:os';
import { describe, expect, test } from 'vitest';
import { drainTimes, heartbeatThrottleMs, usableCores } from './context.js';

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

describe('the cores a worker sizes its slots by', () => {
  test("a container's CPU quota caps them; no quota, the machine's", () => {
    const machine = os.availableParallelism();
    expect(usableCores('max 100000\n')).toBe(machine);
    expect(usableCores(undefined)).toBe(machine);
    expect(usableCores('50000 100000\n')).toBe(1);
    expect(usableCores(`${machine * 300000} 100000`)).toBe(machine);
    expect(usableCores('150000 100000')).toBe(Math.min(machine, 2));
  });
});
