import { createTRPCClient, httpLink } from '@trpc/client';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { AppRouter } from '../web/server/root.js';
import { launchChromium } from './support/browser.js';

const shared = inject('sharedStack');

describe('signing in to the console in a real browser', () => {
  let browser: Browser;
  const api = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${shared.apiUrl}/trpc` })] });
  const reader = `rory-${Date.now().toString(36)}`;
  const password = 'the reader password';

  beforeAll(async () => {
    browser = await launchChromium();
    // The local admin (no credentials on 127.0.0.1) adds the person, as an admin would on the Account page.
    await api.users.create.mutate({ name: reader, role: 'reader', password });
  });

  afterAll(async () => {
    await browser?.close();
  });

  test('a reader signs in, sees the user menu and their account, makes a token, and signs out', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const failures: string[] = [];
    page.on('pageerror', (error) => failures.push(error.message));

    await page.goto(`${shared.apiUrl}/`);
    await expect
      .poll(() => page.getByTestId('user-menu').innerText(), { timeout: 20_000 })
      .toMatch(/local admin\s*no sign-in on 127\.0\.0\.1/);

    await page.goto(`${shared.apiUrl}/sign-in`);
    await page.getByLabel('Name').fill(reader);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').innerText(), { timeout: 10_000 }).toBe('Wrong name or password.');

    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${shared.apiUrl}/`);
    await expect
      .poll(() => page.getByTestId('user-menu').innerText(), { timeout: 20_000 })
      .toMatch(new RegExp(`${reader}\\s*reader`, 'i'));
    // The session cookie is HttpOnly: the page's scripts never see it.
    expect(await page.evaluate('document.cookie')).not.toContain('maestro_session');
    const cookies = await context.cookies();
    expect(cookies.find((cookie) => cookie.name === 'maestro_session')).toMatchObject({
      httpOnly: true,
      sameSite: 'Lax',
    });

    await page
      .getByTestId('user-menu')
      .getByRole('link', { name: new RegExp(reader) })
      .click();
    await page.waitForURL(`${shared.apiUrl}/account`);
    await expect
      .poll(() => page.locator('.account-header').innerText(), { timeout: 10_000 })
      .toMatch(new RegExp(`Signed in as ${reader}\\s*reader`, 'i'));
    expect(await page.getByRole('heading', { name: 'Password' }).count()).toBe(1);
    // People are an admin's business: a reader's account page has no such section.
    expect(await page.getByRole('heading', { name: 'People' }).count()).toBe(0);
    await expect.poll(() => page.getByText('No API tokens yet').count(), { timeout: 10_000 }).toBe(1);

    await page.getByLabel('Token name').fill('my-script');
    await page.getByRole('button', { name: 'Create token' }).click();
    const shown = await page.getByTestId('new-token-value').innerText({ timeout: 10_000 });
    expect(shown).toMatch(/^mst_[\w-]{43}$/);
    await expect
      .poll(() => page.getByTestId('token-my-script').innerText(), { timeout: 10_000 })
      .toContain(shown.slice(0, 10));
    expect(await page.getByTestId('token-my-script').innerText()).not.toContain(shown);
    await page.getByTestId('token-my-script').getByRole('button', { name: 'Revoke' }).click();
    await expect.poll(() => page.getByTestId('token-my-script').innerText(), { timeout: 10_000 }).toMatch(/revoked/);

    await page.getByTestId('user-menu').getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in\?signedOut=1$/);
    await expect.poll(() => page.getByRole('status').innerText(), { timeout: 10_000 }).toBe('You are signed out.');
    expect((await context.cookies()).find((cookie) => cookie.name === 'maestro_session')).toBeUndefined();
    await page.goto(`${shared.apiUrl}/`);
    await expect.poll(() => page.getByTestId('user-menu').innerText(), { timeout: 20_000 }).toMatch(/local admin/);
    expect(failures).toEqual([]);
    await context.close();
  });
});
