import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { verifyPassword } from '../auth/passwords.js';
import { newSessionSecret } from '../auth/secrets.js';
import { SESSION_LIFETIME_MS } from '../auth/sessions.js';
import { person, refusal, routerHarness, unique } from '../../../test/support/router-caller.js';

let harness: Awaited<ReturnType<typeof routerHarness>>;
beforeAll(async () => {
  harness = await routerHarness(inject('sharedStack'));
});
afterAll(async () => {
  await harness.close();
});

const PASSWORD = 'correct horse battery';

async function sessionOf(userId: string): Promise<string> {
  const { hash } = newSessionSecret();
  await harness.prisma.session.create({
    data: { id: hash, userId, expiresAt: new Date(Date.now() + SESSION_LIFETIME_MS) },
  });
  return hash;
}

describe('users', () => {
  test('an admin adds a person: the password is stored as a hash, the list shows them, the audit log says who added them', async () => {
    const name = unique('user');
    expect(await harness.as(person('ada', 'admin')).users.create({ name, role: 'author', password: PASSWORD })).toEqual(
      { name, role: 'author' },
    );
    const row = await harness.prisma.user.findUniqueOrThrow({ where: { name } });
    expect(row.passwordHash).toMatch(/^scrypt\$/);
    expect(row.passwordHash).not.toContain(PASSWORD);
    expect(await verifyPassword(PASSWORD, row.passwordHash)).toBe(true);
    expect((await harness.as().users.list()).find((user) => user.name === name)).toEqual({
      name,
      role: 'author',
      createdAt: row.createdAt.toISOString(),
      disabledAt: null,
      lastSeenAt: null,
      activeTokens: 0,
    });
    const audit = await harness.prisma.activityEvent.findMany({
      where: { kind: 'user.created', data: { path: ['user'], equals: name } },
    });
    expect(audit).toEqual([expect.objectContaining({ actor: 'user:ada', message: `${name} was added as author` })]);

    expect(await refusal(harness.as().users.create({ name, role: 'reader', password: PASSWORD }))).toMatchObject({
      code: 'CONFLICT',
      message: `A user named ${name} exists already: pick another name, or change their role.`,
    });
  });

  test('bad names, roles and passwords are refused with what to fix', async () => {
    const admin = harness.as();
    expect((await refusal(admin.users.create({ name: 'Alice', role: 'reader', password: PASSWORD }))).issues).toEqual([
      {
        path: 'name',
        message: 'a name takes lower-case letters, digits, dot, underscore and dash only, like alice or ci-bot',
      },
    ]);
    expect(
      (await refusal(admin.users.create({ name: unique('short'), role: 'reader', password: 'short' }))).issues,
    ).toEqual([{ path: 'password', message: 'a password has at least 12 characters' }]);
    expect(
      (await refusal(admin.users.create({ name: unique('role'), role: 'owner' as 'admin', password: PASSWORD })))
        .issues,
    ).toEqual([{ path: 'role', message: 'role is one of reader, author, reviewer, admin' }]);
    expect(await refusal(admin.users.setRole({ name: unique('nobody'), role: 'admin' }))).toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(/^No user named nobody-\w+: users.list shows who there is\.$/),
    });
  });

  test('managing people is an admin’s: a reviewer may not even list them', async () => {
    const name = unique('user-refused');
    const reviewer = harness.as(person('rev', 'reviewer'));
    expect(await refusal(reviewer.users.list())).toMatchObject({
      code: 'FORBIDDEN',
      message: 'users.list needs the admin role; you are reviewer',
    });
    expect(await refusal(reviewer.users.create({ name, role: 'admin', password: PASSWORD }))).toMatchObject({
      code: 'FORBIDDEN',
      message: 'users.create needs the admin role; you are reviewer',
    });
    expect(await harness.prisma.user.findUnique({ where: { name } })).toBeNull();
  });

  test('setRole, disable and enable change the account, end the sessions of a disabled one, and are audited', async () => {
    const name = unique('user-life');
    await harness.as().users.create({ name, role: 'reader', password: PASSWORD });
    const user = await harness.prisma.user.findUniqueOrThrow({ where: { name } });
    expect(await harness.as(person('ada', 'admin')).users.setRole({ name, role: 'reviewer' })).toEqual({
      name,
      role: 'reviewer',
    });
    expect((await harness.prisma.user.findUniqueOrThrow({ where: { name } })).role).toBe('reviewer');
    expect(
      await harness.prisma.activityEvent.findFirst({
        where: { kind: 'user.role_changed', data: { path: ['user'], equals: name } },
      }),
    ).toMatchObject({
      actor: 'user:ada',
      message: `${name} is now reviewer (was reader)`,
    });

    await sessionOf(user.id);
    const disabled = await harness.as().users.disable({ name });
    expect(disabled.name).toBe(name);
    expect((await harness.prisma.user.findUniqueOrThrow({ where: { name } })).disabledAt?.toISOString()).toBe(
      disabled.disabledAt,
    );
    expect(await harness.prisma.session.count({ where: { userId: user.id } })).toBe(0);
    // Disabling again changes nothing; a disabled person gets no new token.
    expect(await harness.as().users.disable({ name })).toEqual(disabled);
    expect(await refusal(harness.as().tokens.create({ name: 'ci', user: name }))).toMatchObject({
      code: 'PRECONDITION_FAILED',
      message: `${name} is disabled: enable the account first.`,
    });

    await harness.as().users.enable({ name });
    expect((await harness.prisma.user.findUniqueOrThrow({ where: { name } })).disabledAt).toBeNull();
    const kinds = await harness.prisma.activityEvent.findMany({
      where: { kind: { startsWith: 'user.' }, data: { path: ['user'], equals: name } },
      orderBy: { id: 'asc' },
    });
    expect(kinds.map((event) => event.kind)).toEqual([
      'user.created',
      'user.role_changed',
      'user.disabled',
      'user.enabled',
    ]);
  });

  test('people change their own password given the current one; their other sessions end', async () => {
    const name = unique('user-pw');
    await harness.as().users.create({ name, role: 'reader', password: PASSWORD });
    const user = await harness.prisma.user.findUniqueOrThrow({ where: { name } });
    const own = await sessionOf(user.id);
    await sessionOf(user.id);
    const self = harness.as({ ...person(name, 'reader', user.id), via: 'session', sessionId: own });

    expect(
      await refusal(
        self.users.changePassword({ currentPassword: 'not the password', newPassword: 'a brand new password' }),
      ),
    ).toMatchObject({
      code: 'BAD_REQUEST',
      message: 'The current password is wrong: type the one you signed in with.',
    });
    expect(
      (await refusal(self.users.changePassword({ currentPassword: PASSWORD, newPassword: PASSWORD }))).message,
    ).toBe('The new password is the current one: choose another.');
    expect(
      (await refusal(self.users.changePassword({ currentPassword: PASSWORD, newPassword: 'tiny' }))).issues,
    ).toEqual([{ path: 'newPassword', message: 'a password has at least 12 characters' }]);
    expect(
      await refusal(
        harness.as().users.changePassword({ currentPassword: 'whatever', newPassword: 'a brand new password' }),
      ),
    ).toMatchObject({
      code: 'BAD_REQUEST',
      message: 'user:local has no password to change: sign in as a user first.',
    });

    expect(await self.users.changePassword({ currentPassword: PASSWORD, newPassword: 'a brand new password' })).toEqual(
      { otherSessionsEnded: 1 },
    );
    const changed = await harness.prisma.user.findUniqueOrThrow({ where: { name } });
    expect(await verifyPassword('a brand new password', changed.passwordHash)).toBe(true);
    expect(await verifyPassword(PASSWORD, changed.passwordHash)).toBe(false);
    expect(
      (await harness.prisma.session.findMany({ where: { userId: user.id } })).map((session) => session.id),
    ).toEqual([own]);

    // An admin sets it (they forgot it again): every session ends.
    expect(await harness.as().users.setPassword({ name, password: 'the admin chose this' })).toEqual({
      name,
      sessionsEnded: 1,
      tokensRevoked: 0,
    });
    expect(
      await verifyPassword(
        'the admin chose this',
        (await harness.prisma.user.findUniqueOrThrow({ where: { name } })).passwordHash,
      ),
    ).toBe(true);
  });
});
