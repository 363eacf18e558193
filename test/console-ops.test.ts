import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { disconnectPrisma } from '../data/prisma.js';
import { launchChromium } from './support/browser.js';
import { eventually } from './support/maestro-process.js';
import {
  appendEvent,
  opsApi,
  sampleProject,
  subtaskEscalated,
  subtaskWaitingForApproval,
  uniqueName,
} from './support/ops.js';

const shared = inject('sharedStack');
const api = opsApi(shared.apiUrl);

describe('the ops pages in a real browser', () => {
  let browser: Browser;
  /** A project with nothing in it: every page's empty state. */
  let quiet: string;

  beforeAll(async () => {
    browser = await launchChromium();
    quiet = uniqueName('quiet');
    await sampleProject(api, quiet);
  });

  afterAll(async () => {
    await browser?.close();
    await disconnectPrisma();
  });

  /** A page that fails the test on a script error or a failed API call. */
  async function open(path: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('requestfailed', (request) => {
      // Server-sent event streams are cut when a page closes or changes its subscription.
      if (!request.url().includes('/trpc/') || !/onEvents|onStatus/.test(request.url()))
        problems.push(`${request.url()}: ${request.failure()?.errorText}`);
    });
    (page as Page & { problems: string[] }).problems = problems;
    await page.goto(`${shared.apiUrl}${path}`);
    return page;
  }
  const problemsOf = (page: Page) => (page as Page & { problems: string[] }).problems;

  test('the approvals inbox shows a waiting gate, approves it in place, and says when nothing waits', async () => {
    const project = uniqueName('ui-appr');
    await subtaskWaitingForApproval(api, project);
    const page = await open('/approvals');
    const card = page.getByTestId(`approval-${project}-1-1`);
    await expect.poll(() => card.count(), { timeout: 15_000 }).toBe(1);
    const text = await card.innerText();
    expect(text).toContain('Add tax to the cart total');
    expect(text).toContain('Plan · before any agent acts');
    expect(text).toContain('High risk');
    expect(text).toMatch(/subtask started by\s+user:local/);
    expect(text).toMatch(/\d+ (s|min)\s+waiting/i);
    // The navigation counts what waits.
    expect(Number(await page.locator('.sidenav a[href="/approvals"] .count').innerText())).toBeGreaterThanOrEqual(1);

    await card.getByRole('button', { name: 'Approve' }).click();
    await expect
      .poll(() => card.getByRole('status').innerText(), { timeout: 20_000 })
      .toMatch(/^Approved\. The subtask is now/);
    await api.subtask.override.mutate({
      project,
      key: '1-1',
      override: { action: 'cancel', reason: 'the console test is done' },
    });

    await page.goto(`${shared.apiUrl}/approvals?project=${quiet}`);
    await expect
      .poll(() => page.getByTestId('approvals-empty').innerText(), { timeout: 10_000 })
      .toContain('Nothing waits for approval');
    expect(await page.getByTestId('approvals-empty').innerText()).toContain(`No gate of ${quiet} is waiting`);
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });

  test('the escalations inbox shows the options with the recommended one, and answers with the chosen one', async () => {
    const project = uniqueName('ui-esc');
    await subtaskEscalated(api, project);
    const page = await open(`/escalations?project=${project}`);
    const card = page.getByTestId(`escalation-${project}-1-1`);
    await expect.poll(() => card.count(), { timeout: 15_000 }).toBe(1);
    expect(await card.innerText()).toMatch(/Tier 1 · a step failed[\s\S]*in setup[\s\S]*`false` failed/);
    expect(await card.getByTestId('option-retry').innerText()).toMatch(/Retry the phase \(with a hint\)\s*Recommended/);
    expect(await card.getByTestId('option-cancel').innerText()).toBe('Cancel the subtask');
    expect(await card.getByTestId('option-retry').locator('input').isChecked()).toBe(true);

    const answer = card.getByRole('button', { name: /^Answer:/ });
    expect(await answer.isDisabled()).toBe(true); // no reason yet
    await card.getByTestId('option-cancel').click();
    await card.getByLabel('Why (goes to the audit log)').fill('the install command is wrong');
    await answer.click();
    await expect
      .poll(() => card.getByRole('status').innerText(), { timeout: 20_000 })
      .toMatch(/^Answered with cancel\. The subtask is now/);
    await eventually(
      async () => ((await api.inbox.escalations.query({ project })).length === 0 ? true : undefined),
      20_000,
      'the escalation to be answered',
    );

    await page.goto(`${shared.apiUrl}/escalations?project=${project}`);
    await expect
      .poll(() => page.getByTestId('escalations-empty').innerText(), { timeout: 10_000 })
      .toContain('No escalation is waiting');
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });

  test('costs show spend per model, project, day and subtask, and the budget tiers as gauges', async () => {
    // The demo's agents call the scripted model (which is free): the page shows calls.
    await eventually(
      async () => ((await api.costs.summary.query({ project: 'demo' })).total.calls > 0 ? true : undefined),
      120_000,
      'the demo’s model calls',
    );
    const page = await open('/costs');
    await expect
      .poll(() => page.getByTestId('costs-per-model').innerText(), { timeout: 15_000 })
      .toMatch(/scripted-demo\s+\d+ calls?/);
    expect(await page.getByTestId('costs-per-project').innerText()).toMatch(/demo\s+\d+ calls?/);
    expect(await page.getByTestId('costs-per-subtask').innerText()).toContain('demo/1-1');
    expect(await page.getByTestId('costs-per-day').locator('.daychart-col').count()).toBe(30);
    const gauge = page.getByTestId('budget-demo');
    expect(await gauge.innerText()).toMatch(
      /demo\s+\$0\.00[\s\S]*soft \$20\.00[\s\S]*hard \$50\.00[\s\S]*emergency \$100\.00[\s\S]*Within budget/,
    );
    expect(await gauge.getByRole('meter').getAttribute('aria-valuemax')).toBe('100');
    await page.getByRole('button', { name: 'Tokens' }).click();
    await expect.poll(() => page.getByTestId('costs-per-model').innerText()).toMatch(/scripted-demo\s+[\d.,K]+ tokens/);

    await page.goto(`${shared.apiUrl}/costs?project=${quiet}`);
    await expect
      .poll(() => page.getByTestId('costs-empty').innerText(), { timeout: 10_000 })
      .toContain('No model calls in this window');
    expect(await page.getByTestId(`budget-${quiet}`).innerText()).toContain('$0.00');
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });

  test('queues show the backlog and the pollers of every queue, and throughput and failures per role', async () => {
    const page = await open('/queues');
    await expect
      .poll(() => page.getByTestId('queues-table').locator('tbody tr').count(), { timeout: 15_000 })
      .toBeGreaterThanOrEqual(7);
    for (const queue of ['workflows', 'orchestrator', 'tester', 'developer', 'runner', 'council']) {
      expect(await page.getByTestId(`queue-${queue}`).innerText()).toMatch(
        new RegExp(`maestro-${queue}[\\s\\S]*\\d+[\\s\\S]*process \\d+ on \\S+ · polled[\\s\\S]*polled`),
      );
    }
    expect(await page.getByTestId('queue-model-scripted-demo').innerText()).toMatch(
      /maestro-model-scripted-demo[\s\S]*model scripted-demo/,
    );
    await expect
      .poll(() => page.getByTestId('role-tester').innerText(), { timeout: 120_000 })
      .toMatch(/tester[\s\S]*\d+% failed[\s\S]*Runs\s+\d+/i);
    expect(await page.getByTestId('role-tester').locator('svg[role="img"]').count()).toBe(1);
    expect(await page.getByTestId('bottlenecks').innerText()).toMatch(/runAgentTool/);
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });

  test('the activity log filters, searches, and shows a new event without a reload', async () => {
    const project = uniqueName('ui-log');
    await sampleProject(api, project);
    const word = `quokka${Math.random().toString(36).slice(2, 8)}`;
    await appendEvent(shared, { project, kind: 'probe.alpha', message: `the ${word} check failed` });
    await appendEvent(shared, { project, kind: 'probe.beta', actor: 'tester', message: 'an unrelated line' });

    const page = await open('/activity');
    await expect.poll(() => page.getByTestId('activity-live').innerText(), { timeout: 15_000 }).toBe('Live');
    await page.getByLabel('Project').selectOption(project);
    await expect.poll(() => page.getByTestId('activity-row').count(), { timeout: 10_000 }).toBe(2);
    expect(new URL(page.url()).searchParams.get('project')).toBe(project);

    const rows = () => page.getByTestId('activity-row').allInnerTexts();
    await page.getByLabel('Search').fill(`${word} failing`);
    await expect
      .poll(rows, { timeout: 10_000 })
      .toEqual([
        expect.stringMatching(new RegExp(`probe\\.alpha[\\s\\S]*user:ops-test[\\s\\S]*the ${word} check failed`)),
      ]);
    expect(new URL(page.url()).searchParams.get('q')).toBe(`${word} failing`);
    await page.getByLabel('Search').fill('');
    await page.getByLabel('Actor').fill('tester');
    await expect.poll(rows, { timeout: 10_000 }).toEqual([expect.stringContaining('an unrelated line')]);
    await page.getByLabel('Actor').fill('');
    await expect.poll(() => page.getByTestId('activity-row').count(), { timeout: 10_000 }).toBe(2);

    // A new event arrives over server-sent events.
    await expect.poll(() => page.getByTestId('activity-live').innerText(), { timeout: 15_000 }).toBe('Live');
    await appendEvent(shared, { project, kind: 'probe.gamma', message: `a ${word} line written while watching` });
    await expect
      .poll(() => page.getByTestId('activity-row').first().innerText(), { timeout: 15_000 })
      .toContain(`a ${word} line written while watching`);
    expect(await page.getByTestId('activity-row').count()).toBe(2 + 1);
    expect(await page.getByTestId('activity-row').first().getAttribute('class')).toContain('fresh');
    // Details open on a click.
    await page.getByTestId('activity-row').first().getByRole('button').click();
    expect(await page.locator('.activity-detail').innerText()).toMatch(/Event\s+#\d+/);

    await page.getByLabel('Search').fill('nothing-like-this-zzzz');
    await expect
      .poll(() => page.getByTestId('activity-empty').innerText(), { timeout: 10_000 })
      .toContain('No events match');
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });

  test('a page says what went wrong when the server refuses', async () => {
    const page = await open(`/activity?project=${uniqueName('missing')}`);
    await expect
      .poll(() => page.getByRole('alert').innerText(), { timeout: 10_000 })
      .toMatch(/Could not load the activity log\. The server said: No project named missing-\w+\./);
    await page.close();
  });
});
