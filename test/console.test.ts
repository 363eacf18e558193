import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { launchChromium } from './support/browser.js';
import { latestMigration } from './support/migrations.js';

const LATEST_MIGRATION = latestMigration();

const shared = inject('sharedStack');

describe('the console shell in a real browser', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  test('shows Temporal, PostgreSQL and every queue with its pollers, live', async () => {
    const page = await browser.newPage();
    const failedRequests: string[] = [];
    page.on('requestfailed', (request) => failedRequests.push(request.url()));
    await page.goto(`${shared.apiUrl}/system`);

    await expect
      .poll(() => page.getByTestId('workers-card').innerText(), { timeout: 20_000 })
      .toMatch(/All \d+ queues polled/);
    expect(await page.getByTestId('temporal-card').innerText()).toContain('Reachable');
    expect(await page.getByTestId('temporal-card').innerText()).toContain(shared.temporalAddress);
    expect(await page.getByTestId('database-card').innerText()).toMatch(
      new RegExp(`Reachable[\\s\\S]*${LATEST_MIGRATION}`),
    );
    for (const queue of ['workflows', 'orchestrator', 'tester', 'developer', 'runner', 'council']) {
      expect(await page.getByTestId(`queue-${queue}`).innerText()).toMatch(
        new RegExp(`maestro-${queue}[\\s\\S]*polled`),
      );
    }
    // The demo's one model has its own queue: the model gateway.
    expect(await page.getByTestId('queue-model-scripted-demo').innerText()).toMatch(
      /maestro-model-scripted-demo[\s\S]*model scripted-demo[\s\S]*polled/,
    );
    await expect.poll(() => page.locator('.live').innerText(), { timeout: 10_000 }).toContain('Live');
    expect(await page.getByTestId('demo-banner').innerText()).toMatch(
      /Demo mode\. No model is configured, so a scripted model plays the agents/,
    );
    expect(await page.getByRole('link', { name: /Open the Temporal UI/ }).getAttribute('href')).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+$/,
    );
    expect(failedRequests.filter((url) => !url.includes('/trpc/system.onStatus'))).toEqual([]);
    await page.close();
  });

  test('deep links fall back to the console instead of a 404', async () => {
    const page = await browser.newPage();
    const response = await page.goto(`${shared.apiUrl}/subtasks/shop/3-1`);
    expect(response?.status()).toBe(200);
    await expect.poll(() => page.locator('.brand').innerText(), { timeout: 10_000 }).toContain('Maestro');
    await page.close();
  });
});
