import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { sha256Hex } from '../auth/secrets.js';
import { person, refusal, routerHarness, unique } from '../../../test/support/router-caller.js';

let harness: Awaited<ReturnType<typeof routerHarness>>;
beforeAll(async () => {
  harness = await routerHarness(inject('sharedStack'));
});
afterAll(async () => {
  await harness.close();
});

/** A person with an account, as their token would make them. */
async function account(label: string, role: 'reader' | 'admin' = 'reader') {
  const name = unique(label);
  await harness.as().users.create({ name, role, password: 'a long enough password' });
  const { id } = await harness.prisma.user.findUniqueOrThrow({ where: { name }, select: { id: true } });
  return { name, caller: person(name, role, id) };
}

describe('tokens', () => {
  test('anyone makes their own token: shown once, stored as its hash, listed by its prefix', async () => {
    const { name, caller } = await account('tok-owner');
    const created = await harness.as(caller).tokens.create({ name: 'ci' });
    expect(created).toMatchObject({ name: 'ci', user: name, lastUsedAt: null, revokedAt: null });
    expect(created.token).toMatch(/^mst_[\w-]{43}$/);
    expect(created.prefix).toBe(created.token.slice(0, 10));

    const row = await harness.prisma.apiToken.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.tokenHash).toBe(sha256Hex(created.token));
    expect(JSON.stringify(row)).not.toContain(created.token);
    const audit = await harness.prisma.activityEvent.findFirstOrThrow({
      where: { kind: 'token.created', data: { path: ['token'], equals: created.id } },
    });
    expect(audit).toMatchObject({
      actor: `user:${name}`,
      message: `API token "ci" (${created.prefix}…) created for ${name}`,
    });

    const second = await harness.as(caller).tokens.create({ name: 'backup-script' });
    // Newest first; the secret is never listed (toEqual takes an undefined property for a missing one).
    expect(await harness.as(caller).tokens.list()).toEqual([
      expect.objectContaining({ id: second.id, name: 'backup-script' }),
      { ...created, token: undefined },
    ]);
    expect(JSON.stringify(await harness.as(caller).tokens.list())).not.toContain(created.token);
    expect((await harness.as().users.list()).find((user) => user.name === name)?.activeTokens).toBe(2);
  });

  test('the tokens of others are theirs (or an admin’s): list and revoke are refused, saying whose they are', async () => {
    const owner = await account('tok-mine');
    const other = await account('tok-other');
    const token = await harness.as(owner.caller).tokens.create({ name: 'ci' });

    const refused = `The tokens of ${owner.name} are theirs to manage (or an admin's); you are ${other.name}, reader.`;
    expect(await refusal(harness.as(other.caller).tokens.revoke({ id: token.id }))).toMatchObject({
      code: 'FORBIDDEN',
      message: refused,
    });
    expect(await refusal(harness.as(other.caller).tokens.list({ user: owner.name }))).toMatchObject({
      code: 'FORBIDDEN',
      message: refused,
    });
    expect(await refusal(harness.as(other.caller).tokens.create({ name: 'sneaky', user: owner.name }))).toMatchObject({
      code: 'FORBIDDEN',
      message: refused,
    });
    expect((await harness.prisma.apiToken.findUniqueOrThrow({ where: { id: token.id } })).revokedAt).toBeNull();
    expect(await harness.prisma.apiToken.count({ where: { user: { name: owner.name } } })).toBe(1);

    // An admin may; revoking again changes nothing.
    const revoked = await harness.as(person('ada', 'admin')).tokens.revoke({ id: token.id });
    expect(revoked.revokedAt).not.toBeNull();
    expect(
      (await harness.prisma.apiToken.findUniqueOrThrow({ where: { id: token.id } })).revokedAt?.toISOString(),
    ).toBe(revoked.revokedAt);
    expect(await harness.as(owner.caller).tokens.revoke({ id: token.id })).toEqual(revoked);
    expect(
      await harness.prisma.activityEvent.count({
        where: { kind: 'token.revoked', data: { path: ['token'], equals: token.id } },
      }),
    ).toBe(1);
    expect(
      (await harness.as(person('ada', 'admin')).tokens.list({ user: owner.name })).map((row) => row.revokedAt),
    ).toEqual([revoked.revokedAt]);
  });

  test('bad input and impossible requests say what to do', async () => {
    const { caller } = await account('tok-bad');
    expect((await refusal(harness.as(caller).tokens.create({ name: '  ' }))).issues).toEqual([
      { path: 'name', message: 'name the token after what uses it, like ci or backup-script' },
    ]);
    expect((await refusal(harness.as(caller).tokens.revoke({ id: 'mst_abc' }))).issues).toEqual([
      { path: 'id', message: 'give the token id, as tokens.list shows it' },
    ]);
    expect(
      await refusal(harness.as(caller).tokens.revoke({ id: '01a2035b-652b-737d-81c6-917e1abc4b6b' })),
    ).toMatchObject({
      code: 'NOT_FOUND',
      message: 'No API token 01a2035b-652b-737d-81c6-917e1abc4b6b: tokens.list shows yours.',
    });
    // The local admin has no account of its own to hold a token.
    expect(await refusal(harness.as().tokens.create({ name: 'ci' }))).toMatchObject({
      code: 'BAD_REQUEST',
      message: 'user:local has no account to hold tokens: name the user, or sign in as one.',
    });
    expect(await refusal(harness.as().tokens.create({ name: 'ci', user: unique('ghost') }))).toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(/^No user named ghost-/),
    });
  });
});
