import { describe, expect, test } from 'vitest';
import { Since } from './context.js';
import { ago, duration, table, usd } from './format.js';

describe('the CLI’s output', () => {
  test('tables align columns, right-align numbers, cut long cells and show a dash for nothing', () => {
    expect(
      table(
        [{ header: 'NAME' }, { header: 'RUNS', right: true }, { header: 'NOTE', max: 8 }],
        [
          ['tester', 12, 'a rather long note'],
          ['runner', 3, null],
        ],
      ),
    ).toBe(['NAME    RUNS  NOTE', '──────  ────  ────────', 'tester    12  a rathe…', 'runner     3  —'].join('\n'));
  });

  test('durations, money and ages read naturally', () => {
    expect([duration(840), duration(12_400), duration(185_000), duration(7_800_000)]).toEqual([
      '840 ms',
      '12.4 s',
      '3 min 05 s',
      '2 h 10 min',
    ]);
    expect([usd('0'), usd('0.004213'), usd('12.345')]).toEqual(['$0.00', '$0.0042', '$12.35']);
    const now = Date.parse('2026-01-31T12:00:00Z');
    expect([
      ago('2026-01-31T12:00:00Z', now),
      ago('2026-01-31T11:59:30Z', now),
      ago('2026-01-31T09:00:00Z', now),
      ago(null, now),
    ]).toEqual(['just now', '30 s ago', '3 h ago', '—']);
  });

  test('--since takes 30m, 24h, 7d or a date, and says what it takes otherwise', () => {
    const hourAgo = Since.parse('1h').getTime();
    expect(Math.abs(Date.now() - 3_600_000 - hourAgo)).toBeLessThan(1_000);
    expect(Since.parse('2026-01-31T12:00:00Z').toISOString()).toBe('2026-01-31T12:00:00.000Z');
    expect(Since.safeParse('yesterday-ish').error?.issues[0]?.message).toBe(
      'how far back: 30m, 24h, 7d, or a date like 2026-01-31T12:00',
    );
  });
});
