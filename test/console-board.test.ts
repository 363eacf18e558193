import path from 'node:path';
import { TRPCClientError } from '@trpc/client';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { seedBoard } from '../bench/seed-board.js';
import { formatUsd, formatUsdExact, parseUsd } from '../domain/money.js';
import { CART_TAX_SPEC, FILES, cartTaxConversations, finish, read, write } from '../stack/demo/cart-tax-script.js';
import { launchChromium } from './support/browser.js';
import { eventually } from './support/maestro-process.js';
import { type SubtaskHarness, startSubtaskHarness } from './support/subtask-harness.js';

/**
 * The board and the subtask page in a real browser against a real stack (Temporal, PostgreSQL,
 * workers, git, the project's real test commands); the agents are the scripted model's, at a price.
 */
let harness: SubtaskHarness;
let browser: Browser;
const SHOTS = process.env.MAESTRO_SCREENSHOTS;

const FLAKY_TEST = 'the payment service answers';

/**
 * A test that fails once, on the first run that sees the green code, and passes on every run after:
 * the same tree passes and fails, which is what flaky means. It remembers the failure in the
 * worktree's git-ignored node_modules, the one place a sandboxed test run can write that outlasts
 * the run and the reset between phases.
 */
const flakyTestFile = (project: string) => `// ${project}'s payment test: its own tree, apart from the other projects'.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';

test('${FLAKY_TEST}', () => {
  const cart = readFileSync(new URL('../../src/cart.js', import.meta.url), 'utf8');
  const marker = new URL('../../node_modules/.payment-failed-once', import.meta.url);
  if (cart.includes('taxRate') && !existsSync(marker)) {
    mkdirSync(new URL('../../node_modules/', import.meta.url), { recursive: true });
    writeFileSync(marker, 'failed once');
    assert.fail('the payment service did not answer in time');
  }
});
`;

/** A project whose unit suite has the flaky test, and a script whose green runs no tests itself (so the checks are the first to see it). */
async function flakyProject(name: string, key: string) {
  await harness.sampleProject(name, {
    files: { 'test/unit/payment.test.js': flakyTestFile(name) },
  });
  harness.script(
    {
      match: { key, phase: 'green' },
      turns: [
        read(FILES.redTest.path),
        write(FILES.greenCode),
        finish('Added total(items, taxRate), rounding to cents.'),
      ],
    },
    ...cartTaxConversations(key),
  );
}

beforeAll(async () => {
  harness = await startSubtaskHarness(
    'console-board',
    { MAESTRO_MAX_ATTEMPTS: '3' },
    // Priced, so the page has money to show: $2.50 per million tokens in, $10 out.
    { config: () => ({ models: { registry: { scripted: { inputPerMillion: 2.5, outputPerMillion: 10 } } } }) },
  );
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await harness?.close();
});

async function signIn(page: Page, name: string, password: string) {
  await page.goto(`${harness.ready.consoleUrl}/sign-in`);
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect
    .poll(() => page.getByTestId('user-menu').innerText(), { timeout: 20_000 })
    .toMatch(new RegExp(`${name}\\s*`, 'i'));
}

async function shot(page: Page, name: string) {
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

const PHASE_ORDER = ['Red', 'Green', 'Refactor', 'Integration red', 'Integration green', 'Verify', 'Complete'];

describe('the board and the subtask page in a real browser', () => {
  test('a medium-risk subtask moves across the board phase by phase; its page shows the timeline, checklist, diff, checks, cost and a live log; a reviewer approves it from the page', async () => {
    await flakyProject('ui', '7-1');
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(harness.ready.consoleUrl);
    await expect.poll(() => page.getByRole('heading', { name: 'Board' }).count(), { timeout: 15_000 }).toBe(1);
    await harness.api.subtask.start.mutate({ project: 'ui', key: '7-1', risk: 'medium', ...CART_TAX_SPEC });

    // The board: the card appears without a reload and moves through the phases.
    const card = page.getByTestId('card-ui-7-1');
    await card.waitFor({ timeout: 20_000 });
    expect(await card.innerText()).toMatch(/ui\/7-1[\s\S]*MEDIUM[\s\S]*Add tax to the cart total/);
    const seen: string[] = [];
    await eventually(
      async () => {
        const phase = await card.getByTestId('card-phase').innerText();
        if (seen.at(-1) !== phase) seen.push(phase);
        return PHASE_ORDER.indexOf(phase) >= PHASE_ORDER.indexOf('Integration red') || undefined;
      },
      90_000,
      'the card to reach integration red',
    );
    expect(seen.filter((phase) => PHASE_ORDER.includes(phase)).length).toBeGreaterThanOrEqual(2);
    expect(seen.filter((phase) => PHASE_ORDER.includes(phase))).toEqual(
      [...seen.filter((phase) => PHASE_ORDER.includes(phase))].sort(
        (a, b) => PHASE_ORDER.indexOf(a) - PHASE_ORDER.indexOf(b),
      ),
    );
    expect(await card.getByTestId('progress').innerText()).toMatch(/^\d\/9$/);
    expect(await card.getByTestId('card-cost').innerText()).toMatch(/^(<\$0\.01|\$\d+\.\d\d)$/);
    await shot(page, 'board-live');

    // The subtask page, opened from the card: the header follows the phases without a reload.
    await card.click();
    await page.waitForURL(/\/subtasks\/ui\/7-1$/);
    await page.evaluate(() => ((globalThis as unknown as { stillTheSamePage: boolean }).stillTheSamePage = true));
    await expect.poll(() => page.getByTestId('log-line').count(), { timeout: 15_000 }).toBeGreaterThan(5);
    const linesBefore = await page.getByTestId('log-line').count();
    const phaseBefore = await page.getByTestId('subtask-phase').innerText();
    await expect.poll(() => page.getByTestId('subtask-phase').innerText(), { timeout: 60_000 }).not.toBe(phaseBefore);
    await expect.poll(() => page.getByTestId('log-line').count(), { timeout: 30_000 }).toBeGreaterThan(linesBefore);
    expect(await page.evaluate(() => (globalThis as unknown as { stillTheSamePage?: boolean }).stillTheSamePage)).toBe(
      true,
    );
    const link = await page.getByTestId('temporal-link').getAttribute('href');
    expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/namespaces\/maestro\/workflows\/subtask-ui-7-1$/);

    // Waiting for the merge approval.
    await page.getByTestId('approval-banner').waitFor({ timeout: 90_000 });
    expect(await page.getByTestId('approval-banner').innerText()).toMatch(/Waiting for approval of the merge/);
    expect(await page.getByTestId('subtask-status').innerText()).toBe('Ready for review');
    await expect.poll(() => page.getByTestId('action-approve').count(), { timeout: 10_000 }).toBe(1);
    expect(await page.getByTestId('actions').innerText()).toMatch(/Approve[\s\S]*Reject[\s\S]*Pause[\s\S]*Cancel/);

    // The timeline, from the workflow's history: every phase so far, green twice tried, with its failed check.
    await expect
      .poll(() => page.getByTestId('timeline-phase-verify').getAttribute('data-status'), { timeout: 15_000 })
      .toBe('passed');
    for (const phase of ['setup', 'red', 'green', 'refactor', 'integration_red', 'integration_green']) {
      expect(await page.getByTestId(`timeline-phase-${phase}`).getAttribute('data-status')).toBe('passed');
    }
    const green = page.getByTestId('timeline-phase-green');
    expect(await green.innerText()).toMatch(/2 attempts/);
    expect(await green.locator('[data-kind="check"]').allInnerTexts()).toEqual([
      expect.stringMatching(/Check, attempt 1[\s\S]*failed[\s\S]*the payment service answers/),
      expect.stringMatching(/Check, attempt 2[\s\S]*passed/),
    ]);
    expect(await page.getByTestId('timeline-phase-complete').innerText()).toMatch(/Waiting for approval of the merge/);
    // The red agent's run, step by step from its own workflow's history: each model call, each tool and its result.
    const redAgent = page.getByTestId('timeline-phase-red').locator('[data-kind="agent"]').first();
    await redAgent.getByTestId('agent-steps').locator('summary').click();
    expect(await redAgent.getByTestId('agent-steps').locator('summary').innerText()).toMatch(
      /9 agent steps: 4 model calls, 3 tool calls/,
    );
    expect(await redAgent.getByTestId('agent-step').allInnerTexts()).toEqual([
      expect.stringMatching(/Briefing and prompt/),
      expect.stringMatching(/Model call 1 to scripted — calls read_file \(\d+ in, \d+ out\)/),
      expect.stringMatching(/read_file src\/cart\.js — /),
      expect.stringMatching(/Model call 2 to scripted — calls write_file/),
      expect.stringMatching(/write_file test\/unit\/\S+ — wrote test\/unit\//),
      expect.stringMatching(/Model call 3 to scripted — calls run_tests/),
      expect.stringMatching(/run_tests — /),
      expect.stringMatching(/Model call 4 to scripted — calls finish/),
      expect.stringMatching(/Commit — committed [0-9a-f]{8}/),
    ]);

    // The checklist: the six work phases done, the criteria the verifier ticked.
    const checklist = page.getByTestId('checklist');
    expect(await checklist.locator('li[data-done="true"]').count()).toBe(8);
    expect(await checklist.locator('li[data-done="false"]').innerText()).toMatch(/Complete/);
    await shot(page, 'subtask-timeline');

    // The diff of the branch against its base, highlighted, unified and side by side.
    await page.getByTestId('tab-diff').click();
    await page.getByTestId('diff-body').locator('.d2h-file-wrapper').first().waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('diff-file').allInnerTexts()).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^src\/cart\.js\s*\+5\s*−0/),
        expect.stringMatching(/^test\/unit\/cart-total\.test\.js/),
      ]),
    );
    expect(await page.getByTestId('diff-body').innerText()).toContain('export function total(items, taxRate)');
    expect(await page.getByTestId('diff-body').locator('.hljs-keyword').count()).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Side by side' }).click();
    await expect
      .poll(() => page.getByTestId('diff-body').locator('.d2h-file-side-diff').count(), { timeout: 5_000 })
      .toBeGreaterThan(0);
    await shot(page, 'subtask-diff');

    // Each check's tests: the flaky one flagged, the failure by name, durations, the output's end.
    await page.getByTestId('tab-checks').click();
    await page.getByTestId('checks').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('flaky-summary').innerText()).toMatch(
      /1 flaky test: “the payment service answers” passed \d+ and failed 1 run\(s\) of the same code/,
    );
    const failedGreen = page.locator('[data-testid="check-run"][data-phase="green"]').filter({ hasText: 'failed' });
    expect(await failedGreen.innerText()).toMatch(/1 unit test\(s\) fail: "the payment service answers"/);
    expect(await failedGreen.locator('[data-testid="test-row"][data-status="failed"]').innerText()).toMatch(
      /the payment service answers\s*flaky/,
    );
    expect(await page.locator('[data-testid="test-row"][data-flaky="true"]').count()).toBeGreaterThanOrEqual(2);
    expect(await page.getByTestId('check-run').count()).toBe(8);
    // The refactor changed no file: its check shows it took green's run instead of running again.
    const refactorCheck = page.locator('[data-testid="check-run"][data-phase="refactor"]');
    expect(await refactorCheck.getByTestId('check-reused').innerText()).toBe('reused');
    expect(
      await page
        .locator('[data-testid="check-run"][data-phase="refactor"] [data-testid="suite-unit"]')
        .getByTestId('reused-run')
        .textContent(), // a passed check's suites are folded: the badge is there, not shown
    ).toMatch(/^reused from the green check \(attempt 2\) at \d\d:\d\d:\d\d$/);
    await shot(page, 'subtask-checks');

    // The model calls and their cost, to the cent of the ledger.
    await page.getByTestId('tab-calls').click();
    await page.getByTestId('model-calls').waitFor({ timeout: 10_000 });
    await harness.modelCallsSettled();
    const ledger = await harness.prisma.modelCall.findMany({ where: { subtask: { workflowId: 'subtask-ui-7-1' } } });
    const total = ledger.reduce((sum, call) => sum + parseUsd(call.costUsd.toFixed(12)), 0n);
    expect(total).toBeGreaterThan(0n);
    await expect.poll(() => page.getByTestId('model-call').count(), { timeout: 10_000 }).toBe(ledger.length);
    expect(await page.getByTestId('model-calls-total').innerText()).toBe(formatUsd(total));
    expect(await page.getByTestId('subtask-cost').innerText()).toContain(formatUsd(total));
    await shot(page, 'subtask-calls');

    // People: a reader is refused on the server, a reviewer approves — each signed in to the console.
    await harness.api.users.create.mutate({ name: 'rhea', role: 'reader', password: 'the reader password' });
    await harness.api.users.create.mutate({ name: 'vera', role: 'reviewer', password: 'the reviewer password' });
    const readerPage = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await signIn(readerPage, 'rhea', 'the reader password');
    await readerPage.goto(`${harness.ready.consoleUrl}/subtasks/ui/7-1`);
    await readerPage.getByTestId('action-approve').click();
    await readerPage.getByTestId('action-confirm').click();
    await expect
      .poll(() => readerPage.getByTestId('action-result').innerText(), { timeout: 20_000 })
      .toMatch(/needs the reviewer role; you are reader/);
    await readerPage.close();
    expect(await page.getByTestId('subtask-status').innerText()).toBe('Ready for review');

    // Approving from the page as the reviewer: a dialog, a comment, the result.
    await signIn(page, 'vera', 'the reviewer password');
    await page.goto(`${harness.ready.consoleUrl}/subtasks/ui/7-1`);
    await page.getByTestId('approval-banner').waitFor({ timeout: 20_000 });
    await page.getByTestId('action-approve').click();
    const dialog = page.getByTestId('action-dialog');
    expect(await dialog.innerText()).toMatch(/Approve the merge into the base branch\.[\s\S]*Needs the reviewer role/);
    await dialog.locator('textarea[name="comment"]').fill('reviewed in the console');
    await shot(page, 'subtask-approve-dialog');
    await page.getByTestId('action-confirm').click();
    await expect
      .poll(() => page.getByTestId('action-result').innerText(), { timeout: 20_000 })
      .toBe('Approved. The workflow goes on.');
    await page.getByRole('button', { name: 'Close' }).click();

    await expect.poll(() => page.getByTestId('subtask-status').innerText(), { timeout: 60_000 }).toBe('Completed');
    await page.getByTestId('tab-timeline').click();
    await expect
      .poll(() => page.getByTestId('timeline-phase-complete').last().getAttribute('data-status'), { timeout: 15_000 })
      .toBe('passed');
    expect(await page.getByTestId('timeline-decision').allInnerTexts()).toEqual([
      expect.stringMatching(/user:vera\s+approved\s+reviewed in the console/),
    ]);
    await expect.poll(() => page.getByTestId('actions').count(), { timeout: 10_000 }).toBe(0);
    expect(await page.getByText('nothing can be changed any more').count()).toBe(1);
    await expect
      .poll(() => page.locator('[data-testid="log-line"][data-kind="approval.approved"]').innerText(), {
        timeout: 10_000,
      })
      .toMatch(/user:vera[\s\S]*merge approved: reviewed in the console/);
    await shot(page, 'subtask-completed');

    // Back on the board, it is done, merged, and nobody has to act.
    await page.getByRole('link', { name: 'Board' }).first().click();
    const done = page.getByTestId('column-done').getByTestId('card-ui-7-1');
    await done.waitFor({ timeout: 15_000 });
    expect(await done.getByTestId('progress').innerText()).toBe('9/9');
    expect(await done.getByTestId('card-role').innerText()).toBe('—');
    expect(pageErrors).toEqual([]);
    await page.close();
  }, 300_000);

  test('an unknown subtask says so, and the board filters by what the address says', async () => {
    const page = await browser.newPage();
    await page.goto(`${harness.ready.consoleUrl}/subtasks/ui/404-1`);
    await expect
      .poll(() => page.getByTestId('subtask-not-found').innerText(), { timeout: 15_000 })
      .toMatch(/No subtask 404-1 in ui[\s\S]*No subtask 404-1 in project ui/);
    await page.goto(`${harness.ready.consoleUrl}/?q=no-such-subtask-anywhere`);
    await expect
      .poll(() => page.getByTestId('board-no-match').innerText(), { timeout: 15_000 })
      .toMatch(/No subtask matches these filters/);
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(() => page.locator('[data-testid^="card-"]').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    expect(new URL(page.url()).search).toBe('');
    await page.close();
  });
});

/** The browser's getComputedStyle, in code that runs in the page (the tests are compiled without the DOM's types). */
type Styles = { getComputedStyle(element: unknown): { fontSize: string } };

describe('a board card', () => {
  test('shows project/key whole, so two subtasks with long names never look alike; a long title is cut, and whole on hover', async () => {
    // Two subtasks whose project/key differ only at the end, each longer than a card is wide.
    const project = 'a-project-with-a-name-forty-letters-long';
    await seedBoard(harness.prisma, { subtasks: 2, projects: [project], keyPrefix: 'card-width-check-' });
    const keys = ['card-width-check-1-1', 'card-width-check-2-1'];
    const long =
      'Make the checkout summary show the subtotal, every discount, the shipping rate, the tax and the total, rounded to cents, in the customer’s currency';
    await harness.prisma.subtask.update({
      where: { workflowId: `subtask-${project}-${keys[0]}` },
      data: { title: long },
    });
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    await page.goto(`${harness.ready.consoleUrl}/?project=${project}`);
    for (const key of keys) {
      const card = page.getByTestId(`card-${project}-${key}`);
      await card.waitFor({ timeout: 15_000 });
      const shown = await card.locator('.card-key').evaluate((element) => ({
        text: (element.textContent ?? '').replace(/\s+/g, ''),
        cut: element.scrollWidth > element.clientWidth,
        inside: element.getBoundingClientRect().right <= element.closest('a')!.getBoundingClientRect().right,
        // Longer than a card is wide, so on one line it would be cut: it takes two lines or more.
        wrapped:
          element.getBoundingClientRect().height >
          1.9 * parseFloat((globalThis as unknown as Styles).getComputedStyle(element).fontSize),
      }));
      expect(shown, key).toEqual({ text: `${project}/${key}`, cut: false, inside: true, wrapped: true });
    }
    const title = page.getByTestId(`card-${project}-${keys[0]}`).locator('.card-title');
    expect(await title.getAttribute('title')).toBe(long);
    // Clamped to two lines: the rest is hidden behind an ellipsis, not spilled over the card.
    expect(await title.evaluate((element) => element.scrollHeight > element.clientHeight)).toBe(true);
    await shot(page, 'board-long-names');
    await page.close();
  });
});

describe('board.list and subtask.checks over the API', () => {
  test('filters by project, status and risk, searches, pages with a cursor, and counts per status', async () => {
    await seedBoard(harness.prisma, {
      subtasks: 60,
      projects: ['alpha', 'beta', 'gamma'],
      keyPrefix: 'b',
      eventsPerSubtask: 3,
      callsPerSubtask: 4,
    });
    const all = await harness.api.board.list.query({ limit: 500 });
    expect(all.total).toBe(await harness.prisma.subtask.count());
    expect(Object.values(all.counts).reduce((sum, count) => sum + count, 0)).toBe(all.total);
    expect(all.subtasks.map((card) => card.updatedAt)).toEqual(
      [...all.subtasks.map((card) => card.updatedAt)].sort().reverse(),
    );

    const alpha = await harness.api.board.list.query({ project: 'alpha', limit: 500 });
    expect(alpha.total).toBe(await harness.prisma.subtask.count({ where: { project: { name: 'alpha' } } }));
    expect(alpha.subtasks.every((card) => card.project === 'alpha')).toBe(true);

    // A status filter narrows the list, not the column counts.
    const completed = await harness.api.board.list.query({ project: 'alpha', status: 'completed' });
    expect(completed.subtasks.length).toBe(alpha.counts.completed);
    expect(completed.subtasks.every((card) => card.status === 'completed' && card.assignee === null)).toBe(true);
    expect(completed.counts).toEqual(alpha.counts);

    const high = await harness.api.board.list.query({ risk: 'high', limit: 500 });
    expect(high.subtasks.length).toBe(await harness.prisma.subtask.count({ where: { risk: 'high' } }));
    expect(high.subtasks.every((card) => card.risk === 'high')).toBe(true);

    const gift = await harness.api.board.list.query({ search: 'GIFT card', limit: 500 });
    const expected = await harness.prisma.subtask.count({
      where: {
        OR: ['title', 'key', 'description'].map((field) => ({
          [field]: { contains: 'gift card', mode: 'insensitive' as const },
        })),
      },
    });
    expect(gift.subtasks.length).toBe(expected);
    expect(gift.subtasks.length).toBeGreaterThan(0);
    expect((await harness.api.board.list.query({ search: 'b17-1' })).subtasks.map((card) => card.key)).toEqual([
      'b17-1',
    ]);
    // Wildcards are searched for, not obeyed.
    expect((await harness.api.board.list.query({ search: '%' })).total).toBe(0);

    // The cost is the ledger's sum; who acts follows the status.
    const sample = all.subtasks.find((card) => card.key.startsWith('b') && card.status !== 'pending')!;
    const spent = await harness.prisma.modelCall.aggregate({
      where: { subtaskId: sample.id },
      _sum: { costUsd: true },
    });
    expect(sample.costUsd).toBe(formatUsdExact(parseUsd(spent._sum.costUsd!.toFixed(12))));
    for (const card of all.subtasks.filter((entry) => entry.key.startsWith('b'))) {
      if (card.status === 'blocked') expect(card.assignee).toBe('person');
      if (card.awaitingApproval) expect(card.assignee).toBe('reviewer');
      if (card.status === 'testing') expect(card.assignee).toBe('runner');
      expect(card.progress!.done).toBeLessThanOrEqual(card.progress!.total);
    }

    // Pages: each starts where the last ended, and together they are the whole list.
    const pages: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await harness.api.board.list.query({ project: 'beta', limit: 7, cursor });
      pages.push(...page.subtasks.map((card) => card.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(pages).toEqual(
      (await harness.api.board.list.query({ project: 'beta', limit: 500 })).subtasks.map((card) => card.id),
    );

    const refused = await harness.api.board.list.query({ cursor: 'not-a-cursor' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TRPCClientError);
    expect((refused as TRPCClientError<never>).message).toMatch(/cursor: not a cursor this board gave out/);
    const tooMany = await harness.api.board.list.query({ limit: 5_000 }).catch((error: unknown) => error);
    expect((tooMany as TRPCClientError<never>).message).toMatch(/at most 500/);
  });

  test('a test that failed and passed on runs of the same tree is flagged flaky; every check keeps its tests', async () => {
    await flakyProject('flaky', '8-1');
    const { workflowId } = await harness.api.subtask.start.mutate({
      project: 'flaky',
      key: '8-1',
      risk: 'low',
      ...CART_TAX_SPEC,
    });
    await harness.waitFor(
      'flaky',
      '8-1',
      (state) => state.status === 'completed',
      'the flaky subtask to complete',
      150_000,
    );

    const checks = await harness.api.subtask.checks.query({ project: 'flaky', key: '8-1' });
    expect(checks.runs.map((run) => `${run.phase}#${run.attempt}:${run.passed}`)).toEqual([
      'setup#1:true',
      'red#1:true',
      'green#1:false',
      'green#2:true',
      'refactor#1:true',
      'integration_red#1:true',
      'integration_green#1:true',
      'verify#1:true',
    ]);
    const [first, second] = checks.runs.filter((run) => run.phase === 'green');
    // Two commits, the same code: the agent wrote the same files on its second attempt.
    expect(first!.sha).not.toBe(second!.sha);
    expect(first!.treeSha).toBe(second!.treeSha);
    expect(first!.reason).toBe(`1 unit test(s) fail: "${FLAKY_TEST}"`);
    const unit = first!.suites.find((suite) => suite.suite === 'unit')!;
    expect(unit.tests!.find((entry) => entry.name === FLAKY_TEST)).toMatchObject({ status: 'failed', flaky: true });
    expect(unit.outputTail).toContain('the payment service did not answer in time');
    expect(
      second!.suites.find((suite) => suite.suite === 'unit')!.tests!.find((entry) => entry.name === FLAKY_TEST),
    ).toMatchObject({ status: 'passed', flaky: true });
    // The refactor changed nothing: the same tree again, so its check takes green's passing runs
    // instead of running again (the unit suite's from the second attempt, the one whose run changed
    // nothing it reads; the integration suite's from the first), says so, and is not counted as one
    // more run of that tree.
    const refactor = checks.runs.find((run) => run.phase === 'refactor')!;
    expect(refactor.treeSha).toBe(first!.treeSha);
    expect(refactor.reason).toMatch(
      /\(not run again, the same files were tested: unit: the result of the green check \(attempt 2\) at \d\d:\d\d:\d\d UTC; integration: the result of the green check \(attempt 1\) at \d\d:\d\d:\d\d UTC\)$/,
    );
    expect(refactor.suites[0]!.reused).toMatchObject({ source: 'the green check (attempt 2)' });
    expect(second!.suites[0]!.reused).toBeNull();
    expect(checks.flaky).toEqual([
      { suite: 'unit', name: FLAKY_TEST, treeSha: first!.treeSha, passedRuns: 1, failedRuns: 1 },
    ]);
    // Only that test: the others always passed, or failed only on a tree where they never passed.
    const red = checks.runs.find((run) => run.phase === 'red')!.suites[0]!.tests!;
    expect(red.filter((entry) => entry.status === 'failed').map((entry) => [entry.name, entry.flaky])).toEqual([
      ['total adds tax to the subtotal', false],
      ['total rounds to cents', false],
    ]);
    expect(red.every((entry) => entry.durationMs !== null)).toBe(true);

    // The rest of the page's data for the same subtask.
    // The workflow closes once it has removed the worktree, just after the subtask is completed.
    const timeline = await eventually(
      async () => {
        const read = await harness.api.subtask.timeline.query({ project: 'flaky', key: '8-1' });
        return read.status === 'completed' ? read : undefined;
      },
      30_000,
      'the workflow to close',
    );
    expect(timeline).toMatchObject({ workflowId, status: 'completed' });
    expect(timeline.phases.find((visit) => visit.phase === 'green')).toMatchObject({ status: 'passed', attempts: 2 });
    const diff = await harness.api.subtask.diff.query({ project: 'flaky', key: '8-1' });
    expect(diff.ready && diff.files.map((file) => file.path).sort()).toEqual([
      'src/cart.js',
      'src/checkout.js',
      'test/integration/checkout-total.test.js',
      'test/unit/cart-total.test.js',
    ]);
    expect(diff.ready && diff.text).toMatch(/^diff --git a\/src\/cart\.js b\/src\/cart\.js/);
    expect(diff.ready && diff.truncated).toBe(false);
    expect(await harness.api.subtask.actions.query({ project: 'flaky', key: '8-1' })).toEqual({
      actions: [],
      note: 'The subtask is completed: nothing can be changed any more.',
    });
  }, 240_000);
});
