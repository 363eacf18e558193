import { describe, expect, test } from 'vitest';
import { INFRASTRUCTURE_RESTARTS, INFRASTRUCTURE_RESTART_WINDOW_MS, RestartPolicy } from './restart-policy.js';

const MINUTE = 60_000;

describe('the restart policy of Temporal and PostgreSQL', () => {
  test('restarts three times within ten minutes, and gives up at the fourth stop', () => {
    expect([INFRASTRUCTURE_RESTARTS, INFRASTRUCTURE_RESTART_WINDOW_MS]).toEqual([3, 10 * MINUTE]);
    const policy = new RestartPolicy();
    expect([0, 1, 2, 3].map((minute) => policy.shouldRestart(minute * MINUTE))).toEqual([true, true, true, false]);
  });

  test('stops older than the window no longer count', () => {
    const policy = new RestartPolicy();
    expect([0, 1, 2].map((minute) => policy.shouldRestart(minute * MINUTE))).toEqual([true, true, true]);
    expect(policy.shouldRestart(12.5 * MINUTE)).toBe(true);
    // A stop every four minutes keeps at most three in any ten: it is restarted every time.
    const slow = new RestartPolicy();
    expect(Array.from({ length: 10 }, (_, index) => slow.shouldRestart(index * 4 * MINUTE))).toEqual(
      Array(10).fill(true),
    );
  });

  test('the number of restarts and the window can be given', () => {
    const policy = new RestartPolicy(1, 1_000);
    expect([0, 500, 1_600, 1_700].map((ms) => policy.shouldRestart(ms))).toEqual([true, false, true, false]);
  });
});
