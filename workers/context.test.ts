import { describe, expect, test } from 'vitest';
import { heartbeatThrottleMs } from './context.js';

describe('heartbeatThrottleMs', () => {
  test('a heartbeat goes out every quarter of the timeout, never rarer than every 10 s nor more often than every 250 ms', () => {
    expect(heartbeatThrottleMs(30_000)).toBe(7_500);
    expect(heartbeatThrottleMs(5_000)).toBe(1_250);
    expect(heartbeatThrottleMs(120_000)).toBe(10_000);
    expect(heartbeatThrottleMs(600)).toBe(250);
  });
});
