/**
 * The console under a full board, printed, never asserted: a throwaway stack's database gets 1,000
 * subtasks (with their activity log, model calls, approvals and escalations), then board.list is
 * called over HTTP and the console is loaded in Chromium, each many times.
 * Usage: npm run bench:console [-- --subtasks 1000 --calls 300 --loads 12]
 */
import { parseArgs } from 'node:util';
import { launchChromium } from '../test/support/browser.js';
import { startSubtaskHarness } from '../test/support/subtask-harness.js';
import { seedBoard } from './seed-board.js';

const { values } = parseArgs({
  options: {
    subtasks: { type: 'string', default: '1000' },
    calls: { type: 'string', default: '300' },
    loads: { type: 'string', default: '12' },
  },
});
const subtasks = Number(values.subtasks);
const calls = Math.max(200, Number(values.calls));
const loads = Number(values.loads);

const harness = await startSubtaskHarness('bench-console');
try {
  const seeded = await seedBoard(harness.prisma, { subtasks });
  const base = harness.ready.consoleUrl;

  /** One board.list over HTTP, as the console asks it: the time to the last byte of the answer. */
  async function boardList(input: Record<string, unknown>): Promise<number> {
    const started = performance.now();
    const response = await fetch(`${base}/trpc/board.list?input=${encodeURIComponent(JSON.stringify(input))}`);
    const body = (await response.json()) as { result?: { data: { subtasks: unknown[] } } };
    if (!response.ok || !body.result)
      throw new Error(`board.list answered ${response.status}: ${JSON.stringify(body).slice(0, 300)}`);
    return performance.now() - started;
  }

  const scenarios: Array<[string, Record<string, unknown>]> = [
    ['the console board (500 newest, no filter)', { limit: 500 }],
    ['default page (200 newest)', {}],
    ['one project', { project: 'shop', limit: 500 }],
    ['search "gift"', { search: 'gift', limit: 500 }],
    ['status blocked, risk high', { status: 'blocked', risk: 'high' }],
  ];
  for (const [, input] of scenarios) for (let warm = 0; warm < 10; warm++) await boardList(input);
  const results = [];
  for (const [name, input] of scenarios) {
    const times: number[] = [];
    for (let call = 0; call < calls; call++) times.push(await boardList(input));
    results.push({ name, ...percentiles(times) });
  }

  const browser = await launchChromium();
  const pageLoads: Array<{
    firstPaint: number;
    firstContentfulPaint: number;
    domContentLoaded: number;
    load: number;
    boardReady: number;
  }> = [];
  try {
    for (let load = 0; load < loads + 1; load++) {
      // A new context each time: nothing cached, as on a first visit.
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      const page = await context.newPage();
      await page.goto(base, { waitUntil: 'load' });
      await page.locator('[data-testid^="card-"]').first().waitFor({ timeout: 30_000 });
      // The page marks when the board's first cards rendered.
      const boardReady = (await page.evaluate(
        `performance.getEntriesByName('maestro:board-rendered')[0]?.startTime ?? performance.now()`,
      )) as number;
      // Read in the page, where the DOM's timing types live (this file is compiled for Node).
      const timing = (await page.evaluate(`(() => {
        const paints = Object.fromEntries(performance.getEntriesByType('paint').map((entry) => [entry.name, entry.startTime]));
        const navigation = performance.getEntriesByType('navigation')[0];
        return { firstPaint: paints['first-paint'] ?? NaN, firstContentfulPaint: paints['first-contentful-paint'] ?? NaN, domContentLoaded: navigation.domContentLoadedEventEnd, load: navigation.loadEventEnd };
      })()`)) as { firstPaint: number; firstContentfulPaint: number; domContentLoaded: number; load: number };
      // The first load warms the server (its file cache, the query plans): not counted.
      if (load > 0) pageLoads.push({ ...timing, boardReady });
      await context.close();
    }
  } finally {
    await browser.close();
  }

  console.log(
    `Console benchmark: ${seeded.subtasks} subtasks, ${seeded.events} activity events, ${seeded.modelCalls} model calls in the database`,
  );
  console.log(`\nboard.list over HTTP, ${calls} calls each (ms)           p50     p95     p99     max`);
  for (const row of results)
    console.log(`  ${row.name.padEnd(48)} ${fmt(row.p50)} ${fmt(row.p95)} ${fmt(row.p99)} ${fmt(row.max)}`);
  console.log(`\nThe console in Chromium, first visit, ${pageLoads.length} loads (ms)   median   worst`);
  for (const key of ['firstPaint', 'firstContentfulPaint', 'domContentLoaded', 'load', 'boardReady'] as const) {
    const values = pageLoads.map((entry) => entry[key]);
    const label = {
      firstPaint: 'first paint',
      firstContentfulPaint: 'first contentful paint',
      domContentLoaded: 'DOM content loaded',
      load: 'load event',
      boardReady: 'board with its cards shown',
    }[key];
    console.log(`  ${label.padEnd(48)} ${fmt(percentiles(values).p50)} ${fmt(Math.max(...values))}`);
  }
  console.log(`\nTargets: board data under 100 ms p95, first paint under 1 s.`);
} finally {
  await harness.close();
}

function percentiles(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (share: number) => sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)]!;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted.at(-1)! };
}

function fmt(value: number): string {
  return value.toFixed(1).padStart(7);
}
