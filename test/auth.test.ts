import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { TRPCClientError, createTRPCClient, httpLink } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { disconnectPrisma, prismaFor } from '../data/prisma.js';
import { CART_TAX_SPEC } from '../stack/demo/cart-tax-script.js';
import type { AppRouter } from '../web/server/root.js';
import { launchChromium } from './support/browser.js';
import { type SubtaskHarness, signIn, startSubtaskHarness } from './support/subtask-harness.js';

const shared = inject('sharedStack');

/** A client of the API that sends these headers (a session cookie, a token) with every call. */
function client(apiUrl: string, headers: Record<string, string> = {}) {
  return createTRPCClient<AppRouter>({ links: [httpLink({ url: `${apiUrl}/trpc`, headers })] });
}

async function refusal(call: Promise<unknown>): Promise<TRPCClientError<AppRouter>> {
  const error = await call.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, 'the call should have been refused').toBeInstanceOf(TRPCClientError);
  return error as TRPCClientError<AppRouter>;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
/** Names unique to this run, so the shared stack can be reused run after run. */
const unique = (name: string) => `${name}-${Date.now().toString(36)}`;

/** A raw request, to set the headers a browser would (Host, Origin), which fetch does not let us forge. */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
  });
}

/** A raw POST from a chosen local address, to play a client on another address of this machine. */
function rawPost(
  url: string,
  body: object,
  options: { localAddress: string; headers?: Record<string, string> },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: 'POST',
        localAddress: options.localAddress,
        headers: { 'content-type': 'application/json', ...options.headers },
      },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      },
    );
    request.on('error', reject);
    request.end(JSON.stringify(body));
  });
}

/** An open server-sent-event stream: `end()` waits for the server to close it and says what it sent last and when. */
async function openStream(url: string, headers: Record<string, string>) {
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers } });
  expect(response.status).toBe(200);
  const reader = response.body!.getReader();
  const first = await reader.read();
  expect(new TextDecoder().decode(first.value)).not.toMatch(/error/i);
  return {
    async end(): Promise<{ text: string; secondsAfter: number }> {
      const asked = performance.now();
      let text = '';
      const giveUp = setTimeout(() => void reader.cancel(), 30_000);
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      clearTimeout(giveUp);
      return { text, secondsAfter: (performance.now() - asked) / 1000 };
    },
  };
}

describe('people and roles on the local default (127.0.0.1)', () => {
  const anonymous = client(shared.apiUrl);
  const prisma = prismaFor(shared.databaseUrl);

  afterAll(async () => {
    await disconnectPrisma();
  });

  test('the local default created one admin; its password file works, is private, and the log says how to sign in without the password', async () => {
    const passwordFile = path.join(shared.dataDir, 'admin-password');
    expect(statSync(passwordFile).mode & 0o777).toBe(0o600);
    const password = readFileSync(passwordFile, 'utf8').trim();
    expect(password.length).toBeGreaterThanOrEqual(20);
    const admin = client(shared.apiUrl, { cookie: await signIn(shared.apiUrl, 'admin', password) });
    expect(await admin.auth.me.query()).toEqual({ user: { name: 'admin', role: 'admin' }, signInRequired: false });

    const log = readFileSync(path.join(shared.dataDir, 'logs', 'maestro.log'), 'utf8');
    expect(log).toContain(
      `Sign in at ${shared.apiUrl} as admin; the first password is in ${passwordFile}; change it on the Account page.`,
    );
    expect(log).not.toContain(password);
  });

  test('without credentials a page of this machine acts as the local admin; a page of another site or name does not', async () => {
    expect(await anonymous.auth.me.query()).toEqual({ user: null, signInRequired: false });
    expect(Array.isArray(await anonymous.project.list.query())).toBe(true);

    const url = `${shared.apiUrl}/trpc/project.list`;
    expect((await rawGet(url, { origin: shared.apiUrl })).status).toBe(200);
    const crossSite = await rawGet(url, { origin: 'https://evil.example' });
    expect(crossSite.status).toBe(401);
    expect(crossSite.body).toMatch(/Sign in first/);
    const nullOrigin = await rawGet(url, { origin: 'null' });
    expect(nullOrigin.status).toBe(401);
    const proxied = await rawGet(url, { 'x-forwarded-for': '203.0.113.9' });
    expect(proxied.status).toBe(401);
    expect(proxied.body).toMatch(/it came through a proxy \(x-forwarded-for\)/);
    // A name rebound to 127.0.0.1 (DNS rebinding) is not served at all.
    const rebound = await rawGet(url, { host: 'evil.example:80' });
    expect(rebound.status).toBe(421);
  });

  test('passwords and secrets are stored only as hashes; sign-in sets an HttpOnly cookie and sign-out ends it', async () => {
    const name = unique('hana');
    const password = 'a long and secret passphrase';
    await anonymous.users.create.mutate({ name, role: 'reader', password });
    const row = await prisma.user.findUniqueOrThrow({ where: { name } });
    expect(row.passwordHash).toMatch(/^scrypt\$15\$8\$1\$/);
    expect(row.passwordHash).not.toContain(password);

    const response = await fetch(`${shared.apiUrl}/trpc/auth.signIn`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, password }),
    });
    expect(response.status).toBe(200);
    const setCookie = response.headers.getSetCookie();
    expect(setCookie).toHaveLength(1);
    expect(setCookie[0]).toMatch(/^maestro_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+$/);
    const cookie = setCookie[0]!.split(';')[0]!;
    const secret = cookie.slice('maestro_session='.length);
    const sessions = await prisma.session.findMany({ where: { user: { name } } });
    expect(sessions.map((session) => session.id)).toEqual([sha256(secret)]);
    expect(JSON.stringify(await response.json())).not.toContain(secret);

    const signedIn = client(shared.apiUrl, { cookie });
    expect(await signedIn.auth.me.query()).toEqual({ user: { name, role: 'reader' }, signInRequired: false });

    const signOut = await fetch(`${shared.apiUrl}/trpc/auth.signOut`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
    });
    expect(signOut.headers.getSetCookie()[0]).toMatch(/^maestro_session=; .*Max-Age=0/);
    expect(await prisma.session.count({ where: { user: { name } } })).toBe(0);
    // The old cookie acts as nobody, not as the local admin: it is refused until its owner signs in again.
    const ended = await refusal(signedIn.project.list.query());
    expect(ended.data?.code).toBe('UNAUTHORIZED');
    expect(ended.message).toBe('Your session has ended: sign in again.');
    expect(await signedIn.auth.me.query()).toEqual({
      user: null,
      signInRequired: true,
      reason: 'Your session has ended: sign in again.',
    });
  });

  test('a wrong password is refused with a clear message, the same for an unknown name, and repeated failures lock the name', async () => {
    const name = unique('gus');
    await anonymous.users.create.mutate({ name, role: 'reader', password: 'the right password' });
    const wrong = await refusal(anonymous.auth.signIn.mutate({ name, password: 'the wrong password' }));
    expect(wrong.data?.code).toBe('UNAUTHORIZED');
    expect(wrong.message).toBe('Wrong name or password.');
    expect(
      (await refusal(anonymous.auth.signIn.mutate({ name: unique('nobody'), password: 'whatever it is' }))).message,
    ).toBe('Wrong name or password.');

    for (let attempt = 2; attempt <= 5; attempt += 1)
      await refusal(anonymous.auth.signIn.mutate({ name, password: `guess number ${attempt}` }));
    const locked = await refusal(anonymous.auth.signIn.mutate({ name, password: 'the right password' }));
    expect(locked.data?.code).toBe('TOO_MANY_REQUESTS');
    expect(locked.message).toMatch(
      new RegExp(`^Too many failed sign-ins for ${name} from this address: try again in \\d+ s\\.$`),
    );
  });

  test('failing on purpose from one address locks nobody out elsewhere, nor anyone holding a valid session or token', async () => {
    const name = unique('adm');
    const password = 'the right admin password';
    await anonymous.users.create.mutate({ name, role: 'admin', password });
    const cookie = await signIn(shared.apiUrl, name, password);
    const token = await client(shared.apiUrl, { cookie }).tokens.create.mutate({ name: 'ops' });

    // Another address of this machine plays the attacker (Linux routes all of 127.0.0.0/8 to loopback).
    const attacker = (body: object, headers: Record<string, string> = {}) =>
      rawPost(`${shared.apiUrl}/trpc/auth.signIn`, body, { localAddress: '127.0.0.2', headers });
    for (let attempt = 1; attempt <= 20; attempt += 1) await attacker({ name, password: `guess ${attempt}` });
    const lockedOut = await attacker({ name, password });
    expect(lockedOut.status).toBe(429);
    expect(lockedOut.body).toMatch(/Too many failed sign-ins .* from this address/);

    // The person, from their own address, signs in; their token and session work throughout.
    expect(
      await client(shared.apiUrl, { cookie: await signIn(shared.apiUrl, name, password) }).auth.me.query(),
    ).toEqual({ user: { name, role: 'admin' }, signInRequired: false });
    expect(await client(shared.apiUrl, { authorization: `Bearer ${token.token}` }).auth.me.query()).toMatchObject({
      user: { name },
    });
    // Even from the locked address, one who already holds a valid session of that name signs in again.
    expect((await attacker({ name, password }, { cookie })).status).toBe(200);
  });

  test('an open event stream ends within seconds when its token is revoked, or when an admin resets its owner’s password', async () => {
    const name = unique('sse');
    const password = 'stream watcher password';
    await anonymous.users.create.mutate({ name, role: 'reader', password });
    const cookie = await signIn(shared.apiUrl, name, password);
    const reader = client(shared.apiUrl, { cookie });
    const byToken = await reader.tokens.create.mutate({ name: 'tail' });
    const streamUrl = `${shared.apiUrl}/trpc/events.onEvents?input=${encodeURIComponent(JSON.stringify({ backlog: 1 }))}`;

    const tokenStream = await openStream(streamUrl, { authorization: `Bearer ${byToken.token}` });
    await reader.tokens.revoke.mutate({ id: byToken.id });
    const revoked = await tokenStream.end();
    expect(revoked.text).toMatch(/This API token was revoked/);
    expect(revoked.secondsAfter).toBeLessThan(15);

    const secondToken = await reader.tokens.create.mutate({ name: 'tail again' });
    const sessionStream = await openStream(streamUrl, { cookie });
    const secondTokenStream = await openStream(streamUrl, { authorization: `Bearer ${secondToken.token}` });
    expect(await anonymous.users.setPassword.mutate({ name, password: 'a new password, set by an admin' })).toEqual({
      name,
      sessionsEnded: 1,
      tokensRevoked: 1,
    });
    const [session, tokenAfterReset] = await Promise.all([sessionStream.end(), secondTokenStream.end()]);
    expect(session.text).toMatch(/Your session has ended: sign in again/);
    expect(tokenAfterReset.text).toMatch(/This API token was revoked/);
    expect(
      (await refusal(client(shared.apiUrl, { authorization: `Bearer ${secondToken.token}` }).project.list.query())).data
        ?.code,
    ).toBe('UNAUTHORIZED');
    console.info(
      `event streams ended ${revoked.secondsAfter.toFixed(1)} s after a revocation, ${session.secondsAfter.toFixed(1)} s after a password reset`,
    );
  });

  test('inputs are checked with messages that say what to fix', async () => {
    const short = await refusal(
      anonymous.users.create.mutate({ name: unique('ivy'), role: 'reader', password: 'short' }),
    );
    expect(short.data?.issues).toEqual([{ path: 'password', message: 'a password has at least 12 characters' }]);
    const badName = await refusal(
      anonymous.users.create.mutate({ name: 'Ivy Smith', role: 'reader', password: 'long enough password' }),
    );
    expect(badName.data?.issues).toEqual([
      { path: 'name', message: expect.stringMatching(/lower-case letters, digits, dot, underscore and dash only/) },
    ]);
    const badRole = await refusal(
      anonymous.users.create.mutate({ name: unique('ivy'), role: 'owner' as never, password: 'long enough password' }),
    );
    expect(badRole.data?.issues).toEqual([{ path: 'role', message: 'role is one of reader, author, reviewer, admin' }]);
  });

  test('a signed-in reader reads but is refused every change, even on 127.0.0.1', async () => {
    const name = unique('rea');
    await anonymous.users.create.mutate({ name, role: 'reader', password: 'reader password 1' });
    const reader = client(shared.apiUrl, { cookie: await signIn(shared.apiUrl, name, 'reader password 1') });
    expect((await reader.system.status.query()).database.reachable).toBe(true);
    expect(Array.isArray(await reader.project.list.query())).toBe(true);

    const create = await refusal(
      reader.project.create.mutate({ name: 'nope', repository: '/tmp', testCommand: 'true' }),
    );
    expect(create.data?.code).toBe('FORBIDDEN');
    expect(create.message).toBe('project.create needs the author role; you are reader');
    const start = await refusal(
      reader.subtask.start.mutate({ project: 'demo', key: '9-1', risk: 'low', ...CART_TAX_SPEC }),
    );
    expect(start.message).toBe('subtask.start needs the author role; you are reader');
    expect((await refusal(reader.subtask.approve.mutate({ project: 'demo', key: '1-1' }))).message).toBe(
      'subtask.approve needs the reviewer role; you are reader',
    );
    expect((await refusal(reader.users.list.query())).message).toBe('users.list needs the admin role; you are reader');
    expect(
      (await refusal(reader.project.setBudget.mutate({ name: 'demo', hardUsd: 60, reason: 'more room' }))).message,
    ).toBe('project.setBudget needs the admin role; you are reader');
  });

  test('API tokens: shown once, stored as a hash, work as their owner, only the owner or an admin revokes them, and a revoked token is refused', async () => {
    const name = unique('toby');
    await anonymous.users.create.mutate({ name, role: 'author', password: 'author password 1' });
    const other = unique('olga');
    await anonymous.users.create.mutate({ name: other, role: 'reader', password: 'reader password 2' });
    const toby = client(shared.apiUrl, { cookie: await signIn(shared.apiUrl, name, 'author password 1') });
    const olga = client(shared.apiUrl, { cookie: await signIn(shared.apiUrl, other, 'reader password 2') });

    const created = await toby.tokens.create.mutate({ name: 'ci' });
    expect(created.token).toMatch(/^mst_[\w-]{43}$/);
    expect(created).toMatchObject({
      name: 'ci',
      user: name,
      prefix: created.token.slice(0, 10),
      lastUsedAt: null,
      revokedAt: null,
    });
    const stored = await prisma.apiToken.findUniqueOrThrow({ where: { id: created.id } });
    expect(stored.tokenHash).toBe(sha256(created.token));
    expect(JSON.stringify(stored)).not.toContain(created.token);

    const script = client(shared.apiUrl, { authorization: `Bearer ${created.token}` });
    expect(await script.auth.me.query()).toEqual({ user: { name, role: 'author' }, signInRequired: false });
    const listed = await toby.tokens.list.query();
    expect(listed).toEqual([
      expect.objectContaining({ id: created.id, prefix: created.prefix, lastUsedAt: expect.any(String) }),
    ]);
    expect(JSON.stringify(listed)).not.toContain(created.token);

    expect((await refusal(olga.tokens.revoke.mutate({ id: created.id }))).data?.code).toBe('FORBIDDEN');
    expect((await refusal(olga.tokens.list.query({ user: name }))).data?.code).toBe('FORBIDDEN');
    expect((await anonymous.tokens.list.query({ user: name })).map((token) => token.id)).toEqual([created.id]);

    expect((await toby.tokens.revoke.mutate({ id: created.id })).revokedAt).not.toBeNull();
    const revoked = await refusal(script.project.list.query());
    expect(revoked.data?.code).toBe('UNAUTHORIZED');
    expect(revoked.message).toMatch(/^This API token is not valid \(revoked, or never issued\)/);
    const forged = await refusal(client(shared.apiUrl, { authorization: 'Bearer not-a-token' }).project.list.query());
    expect(forged.message).toMatch(/Authorization header must read `Bearer mst_…`/);

    const events = await prisma.activityEvent.findMany({
      where: { kind: { in: ['token.created', 'token.revoked'] }, actor: `user:${name}` },
    });
    expect(events.map((event) => event.kind).sort()).toEqual(['token.created', 'token.revoked']);
    expect(JSON.stringify(events.map((event) => [event.message, event.data]))).not.toContain(created.token);
  });

  test('people change their own password; admins set roles, reset passwords and disable people, whose sessions and tokens then stop', async () => {
    const name = unique('pat');
    await anonymous.users.create.mutate({ name, role: 'reader', password: 'first password 1' });
    const pat = client(shared.apiUrl, { cookie: await signIn(shared.apiUrl, name, 'first password 1') });
    const wrongCurrent = await refusal(
      pat.users.changePassword.mutate({ currentPassword: 'not my password', newPassword: 'second password 2' }),
    );
    expect(wrongCurrent.message).toBe('The current password is wrong: type the one you signed in with.');
    await pat.users.changePassword.mutate({ currentPassword: 'first password 1', newPassword: 'second password 2' });
    expect((await refusal(anonymous.auth.signIn.mutate({ name, password: 'first password 1' }))).message).toBe(
      'Wrong name or password.',
    );
    expect(await pat.auth.me.query()).toMatchObject({ user: { name } }); // the session that changed it goes on

    expect(await anonymous.users.setRole.mutate({ name, role: 'reviewer' })).toEqual({ name, role: 'reviewer' });
    expect(await pat.auth.me.query()).toEqual({ user: { name, role: 'reviewer' }, signInRequired: false });
    const token = await pat.tokens.create.mutate({ name: 'laptop' });

    await anonymous.users.disable.mutate({ name });
    const disabled = await refusal(pat.project.list.query());
    expect(disabled.message).toBe('Your session has ended: sign in again.');
    expect(
      (await refusal(client(shared.apiUrl, { authorization: `Bearer ${token.token}` }).project.list.query())).message,
    ).toBe(`The account ${name} is disabled: ask an admin to enable it.`);
    const refused = await refusal(anonymous.auth.signIn.mutate({ name, password: 'second password 2' }));
    expect(refused.data?.code).toBe('FORBIDDEN');
    expect(refused.message).toBe(`The account ${name} is disabled: ask an admin to enable it.`);

    await anonymous.users.enable.mutate({ name });
    await anonymous.users.setPassword.mutate({ name, password: 'third password 3' });
    expect(
      await client(shared.apiUrl, { cookie: await signIn(shared.apiUrl, name, 'third password 3') }).auth.me.query(),
    ).toMatchObject({ user: { name, role: 'reviewer' } });
    const listed = (await anonymous.users.list.query()).find((user) => user.name === name)!;
    // The admin's reset revoked the token made with the old password.
    expect(listed).toMatchObject({ role: 'reviewer', disabledAt: null, activeTokens: 0 });
    expect(JSON.stringify(await anonymous.users.list.query())).not.toMatch(/scrypt/);

    const kinds = (
      await prisma.activityEvent.findMany({
        where: { kind: { startsWith: 'user.' }, data: { path: ['user'], equals: name } },
        orderBy: { id: 'asc' },
      })
    ).map((event) => [event.kind, event.actor]);
    expect(kinds).toEqual([
      ['user.created', 'user:local'],
      ['user.password_changed', `user:${name}`],
      ['user.role_changed', 'user:local'],
      ['user.disabled', 'user:local'],
      ['user.enabled', 'user:local'],
      ['user.password_set', 'user:local'],
    ]);
  });
});

describe('roles on a stack that listens beyond this machine (MAESTRO_API_HOST=0.0.0.0)', () => {
  let harness: SubtaskHarness;
  const users = { reader: 'rhea', author: 'arlo', reviewer: 'remy', admin: 'ada' } as const;
  const password = 'a shared test password';
  let as: Record<keyof typeof users, ReturnType<typeof client>>;

  beforeAll(async () => {
    harness = await startSubtaskHarness('auth', { MAESTRO_API_HOST: '0.0.0.0' }, { signInAsFirstAdmin: true });
    for (const [role, name] of Object.entries(users))
      await harness.api.users.create.mutate({ name, role: role as keyof typeof users, password });
    const entries = await Promise.all(
      Object.entries(users).map(
        async ([role, name]) =>
          [
            role,
            client(harness.ready.consoleUrl, { cookie: await signIn(harness.ready.consoleUrl, name, password) }),
          ] as const,
      ),
    );
    as = Object.fromEntries(entries) as typeof as;
  });

  afterAll(async () => {
    await harness?.close();
  });

  test('without credentials every procedure but health and auth is UNAUTHORIZED, also from another address of this machine', async () => {
    const anonymous = client(harness.ready.consoleUrl);
    expect(await anonymous.health.query()).toMatchObject({ ok: true });
    expect(await anonymous.auth.me.query()).toEqual({ user: null, signInRequired: true });
    const refused = await refusal(anonymous.project.list.query());
    expect(refused.data?.code).toBe('UNAUTHORIZED');
    expect(refused.message).toMatch(/^Sign in first/);
    expect((await refusal(anonymous.system.status.query())).data?.code).toBe('UNAUTHORIZED');

    const external = Object.values(os.networkInterfaces())
      .flat()
      .find((address) => address && address.family === 'IPv4' && !address.internal);
    if (external) {
      const remote = client(`http://${external.address}:${harness.maestro.ports.api}`);
      expect((await refusal(remote.subtask.list.query())).data?.code).toBe('UNAUTHORIZED');
      expect(await remote.health.query()).toMatchObject({ ok: true });
    }
    // The first admin, signed in with the password the stack wrote, is who the harness is.
    expect(await harness.api.auth.me.query()).toEqual({
      user: { name: 'admin', role: 'admin' },
      signInRequired: false,
    });
    expect(
      harness.maestro.records.some(
        (record) => record.msg?.startsWith('Sign in at ') && record.msg.includes('admin-password'),
      ),
    ).toBe(true);
  });

  test('reader reads; author starts but cannot approve; reviewer approves but cannot pause; admin does all; the audit log says who', async () => {
    await harness.sampleProject('roles');
    const key = '1-1';
    const ref = { project: 'roles', key };

    const readerStart = await refusal(as.reader.subtask.start.mutate({ ...ref, risk: 'high', ...CART_TAX_SPEC }));
    expect(readerStart.data?.code).toBe('FORBIDDEN');
    expect(readerStart.message).toBe('subtask.start needs the author role; you are reader');
    const started = await as.author.subtask.start.mutate({ ...ref, risk: 'high', ...CART_TAX_SPEC });
    await harness.waitFor('roles', key, (state) => state.pendingGate?.gate === 'plan', 'the plan approval');
    expect((await as.reader.subtask.state.query(ref)).pendingGate?.gate).toBe('plan');

    expect((await refusal(as.reader.subtask.approve.mutate(ref))).message).toBe(
      'subtask.approve needs the reviewer role; you are reader',
    );
    expect((await refusal(as.reader.subtask.override.mutate({ ...ref, override: { action: 'retry' } }))).message).toBe(
      'subtask.override needs the reviewer role; you are reader',
    );
    expect((await refusal(as.author.subtask.approve.mutate(ref))).message).toBe(
      'subtask.approve needs the reviewer role; you are author',
    );
    expect(
      (await refusal(as.author.subtask.reject.mutate({ ...ref, comment: 'not like this', returnTo: 'red' }))).data
        ?.code,
    ).toBe('FORBIDDEN');

    const pause = await refusal(
      as.reviewer.subtask.override.mutate({ ...ref, override: { action: 'pause', reason: 'wait for the release' } }),
    );
    expect(pause.data?.code).toBe('FORBIDDEN');
    expect(pause.message).toMatch(/^override pause needs the admin role; you are reviewer/);
    // A reviewer may retry: the role lets it through, and the workflow answers that nothing is blocked.
    const retry = await refusal(as.reviewer.subtask.override.mutate({ ...ref, override: { action: 'retry' } }));
    expect(retry.data?.code).toBe('PRECONDITION_FAILED');
    expect(
      (await refusal(as.reviewer.project.setBudget.mutate({ name: 'roles', hardUsd: 60, reason: 'more room' }))).data
        ?.code,
    ).toBe('FORBIDDEN');

    await as.admin.subtask.override.mutate({ ...ref, override: { action: 'pause', reason: 'wait for the release' } });
    await as.admin.subtask.override.mutate({ ...ref, override: { action: 'resume' } });
    await as.admin.project.setBudget.mutate({ name: 'roles', hardUsd: 60, reason: 'more room' });
    await as.reviewer.subtask.approve.mutate({ ...ref, comment: 'plan ok' });
    await as.admin.subtask.override.mutate({ ...ref, override: { action: 'cancel', reason: 'enough for this test' } });
    await harness.waitFor('roles', key, (state) => state.status === 'cancelled', 'the cancel');

    const approval = await harness.prisma.approval.findFirstOrThrow({
      where: { subtaskId: started.subtaskId, gate: 'plan' },
    });
    expect(approval).toMatchObject({ status: 'approved', decidedBy: 'user:remy', comment: 'plan ok' });
    const events = await harness.prisma.activityEvent.findMany({
      where: { OR: [{ workflowId: started.workflowId }, { kind: 'budget.changed' }] },
      orderBy: { id: 'asc' },
    });
    const who = (kind: string) => events.filter((event) => event.kind === kind).map((event) => event.actor);
    expect(who('subtask.started')).toEqual(['user:arlo']);
    expect(who('approval.approved')).toEqual(['user:remy']);
    expect(who('override.pause')).toEqual(['user:ada']);
    expect(who('override.resume')).toEqual(['user:ada']);
    expect(who('override.cancel')).toEqual(['user:ada']);
    expect(who('budget.changed')).toEqual(['user:ada']);
  });

  test('the console shows the sign-in page first, then the console as the signed-in reader', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`${harness.ready.consoleUrl}/`);
      await expect.poll(() => page.getByRole('heading', { name: 'Sign in' }).count(), { timeout: 20_000 }).toBe(1);
      expect(await page.locator('.sign-in-help').innerText()).toContain('admin-password');
      await page.getByLabel('Name').fill(users.reader);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect.poll(() => page.getByTestId('user-menu').innerText(), { timeout: 20_000 }).toMatch(/rhea\s*reader/i);
      await expect.poll(() => page.getByRole('heading', { name: 'Board' }).count(), { timeout: 20_000 }).toBe(1);
      await page.goto(`${harness.ready.consoleUrl}/system`);
      await expect
        .poll(() => page.getByTestId('workers-card').innerText(), { timeout: 20_000 })
        .toMatch(/queues polled/);
    } finally {
      await browser.close();
    }
  });

  test('the last active admin cannot be demoted or disabled', async () => {
    await harness.api.users.disable.mutate({ name: users.admin });
    const demote = await refusal(harness.api.users.setRole.mutate({ name: 'admin', role: 'reader' }));
    expect(demote.data?.code).toBe('PRECONDITION_FAILED');
    expect(demote.message).toBe('Making admin a reader would leave no active admin: make someone else an admin first.');
    expect((await refusal(harness.api.users.disable.mutate({ name: 'admin' }))).message).toMatch(
      /would leave no active admin/,
    );
    await harness.api.users.enable.mutate({ name: users.admin });
  });
});
