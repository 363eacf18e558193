import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { Password, Role, UserName } from '../../../domain/people.js';
import type { PrismaClient } from '../../../data/prisma.js';
import { auditPeople } from '../auth/audit.js';
import { hashPassword, verifyPassword } from '../auth/passwords.js';
import { endSessions } from '../auth/sessions.js';
import { actorOf, adminProcedure, callerOf, readProcedure, router } from '../trpc.js';

const userSelect = { id: true, name: true, role: true, createdAt: true, disabledAt: true } as const;

const UserRow = z.object({
  name: z.string(),
  role: Role,
  createdAt: z.iso.datetime(),
  disabledAt: z.iso.datetime().nullable(),
  /** When the user last used the console (sessions only; tokens have their own lastUsedAt). */
  lastSeenAt: z.iso.datetime().nullable(),
  activeTokens: z.int(),
});

async function userByName(prisma: PrismaClient, name: string) {
  const user = await prisma.user.findUnique({ where: { name }, select: userSelect });
  if (!user)
    throw new TRPCError({ code: 'NOT_FOUND', message: `No user named ${name}: users.list shows who there is.` });
  return user;
}

/** Someone must always be able to manage people. */
async function assertAnotherActiveAdmin(prisma: PrismaClient, userId: string, what: string) {
  const others = await prisma.user.count({ where: { role: 'admin', disabledAt: null, id: { not: userId } } });
  if (others === 0)
    throw new TRPCError({
      code: 'PRECONDITION_FAILED',
      message: `${what} would leave no active admin: make someone else an admin first.`,
    });
}

export const usersRouter = router({
  list: adminProcedure.output(z.array(UserRow)).query(async ({ ctx }) => {
    const users = await ctx.prisma.user.findMany({
      select: {
        ...userSelect,
        sessions: { select: { lastSeenAt: true }, orderBy: { lastSeenAt: 'desc' }, take: 1 },
        _count: { select: { tokens: { where: { revokedAt: null } } } },
      },
      orderBy: { name: 'asc' },
    });
    return users.map((user) => ({
      name: user.name,
      role: user.role,
      createdAt: user.createdAt.toISOString(),
      disabledAt: user.disabledAt?.toISOString() ?? null,
      lastSeenAt: user.sessions[0]?.lastSeenAt.toISOString() ?? null,
      activeTokens: user._count.tokens,
    }));
  }),

  create: adminProcedure
    .input(z.strictObject({ name: UserName, role: Role, password: Password }))
    .output(z.object({ name: z.string(), role: Role }))
    .mutation(async ({ ctx, input }) => {
      if (await ctx.prisma.user.findUnique({ where: { name: input.name }, select: { id: true } })) {
        throw new TRPCError({
          code: 'CONFLICT',
          message: `A user named ${input.name} exists already: pick another name, or change their role.`,
        });
      }
      const passwordHash = await hashPassword(input.password);
      const user = await ctx.prisma.$transaction(async (tx) => {
        const created = await tx.user.create({
          data: { name: input.name, role: input.role, passwordHash },
          select: { name: true, role: true },
        });
        await auditPeople(tx, actorOf(ctx), 'user.created', `${input.name} was added as ${input.role}`, {
          user: input.name,
          role: input.role,
        });
        return created;
      });
      return user;
    }),

  setRole: adminProcedure
    .input(z.strictObject({ name: UserName, role: Role }))
    .output(z.object({ name: z.string(), role: Role }))
    .mutation(async ({ ctx, input }) => {
      const user = await userByName(ctx.prisma, input.name);
      if (user.role === 'admin' && input.role !== 'admin')
        await assertAnotherActiveAdmin(ctx.prisma, user.id, `Making ${user.name} a ${input.role}`);
      await ctx.prisma.$transaction([
        ctx.prisma.user.update({ where: { id: user.id }, data: { role: input.role } }),
        ctx.prisma.activityEvent.create({
          data: {
            actor: actorOf(ctx),
            kind: 'user.role_changed',
            message: `${user.name} is now ${input.role} (was ${user.role})`,
            data: { user: user.name, role: input.role, was: user.role },
          },
        }),
      ]);
      return { name: user.name, role: input.role };
    }),

  /**
   * Sets someone's password (they forgot theirs, or it leaked): their sessions end and their API
   * tokens are revoked, since whoever knew the old password may have made one.
   */
  setPassword: adminProcedure
    .input(z.strictObject({ name: UserName, password: Password }))
    .output(z.object({ name: z.string(), sessionsEnded: z.int(), tokensRevoked: z.int() }))
    .mutation(async ({ ctx, input }) => {
      const user = await userByName(ctx.prisma, input.name);
      const passwordHash = await hashPassword(input.password);
      const [, tokens] = await ctx.prisma.$transaction([
        ctx.prisma.user.update({ where: { id: user.id }, data: { passwordHash } }),
        ctx.prisma.apiToken.updateMany({
          where: { userId: user.id, revokedAt: null },
          data: { revokedAt: new Date() },
        }),
      ]);
      const sessionsEnded = await endSessions(ctx.prisma, user.id);
      await auditPeople(
        ctx.prisma,
        actorOf(ctx),
        'user.password_set',
        `the password of ${user.name} was set by an admin: ${sessionsEnded} sessions ended, ${tokens.count} API tokens revoked`,
        { user: user.name, sessionsEnded, tokensRevoked: tokens.count },
      );
      return { name: user.name, sessionsEnded, tokensRevoked: tokens.count };
    }),

  /** A disabled user cannot sign in; their sessions end and their tokens stop working. */
  disable: adminProcedure
    .input(z.strictObject({ name: UserName }))
    .output(z.object({ name: z.string(), disabledAt: z.iso.datetime() }))
    .mutation(async ({ ctx, input }) => {
      const user = await userByName(ctx.prisma, input.name);
      if (user.disabledAt) return { name: user.name, disabledAt: user.disabledAt.toISOString() };
      if (user.role === 'admin') await assertAnotherActiveAdmin(ctx.prisma, user.id, `Disabling ${user.name}`);
      const disabledAt = new Date();
      await ctx.prisma.user.update({ where: { id: user.id }, data: { disabledAt } });
      await endSessions(ctx.prisma, user.id);
      await auditPeople(ctx.prisma, actorOf(ctx), 'user.disabled', `${user.name} was disabled`, { user: user.name });
      return { name: user.name, disabledAt: disabledAt.toISOString() };
    }),

  enable: adminProcedure
    .input(z.strictObject({ name: UserName }))
    .output(z.object({ name: z.string() }))
    .mutation(async ({ ctx, input }) => {
      const user = await userByName(ctx.prisma, input.name);
      if (user.disabledAt) {
        await ctx.prisma.user.update({ where: { id: user.id }, data: { disabledAt: null } });
        await auditPeople(ctx.prisma, actorOf(ctx), 'user.enabled', `${user.name} was enabled`, { user: user.name });
      }
      return { name: user.name };
    }),

  /** Any signed-in user: a new password, given the current one; their other sessions end. */
  changePassword: readProcedure
    .input(
      z.strictObject({
        currentPassword: z.string().min(1, 'type your current password').max(1_000),
        newPassword: Password,
      }),
    )
    .output(z.object({ otherSessionsEnded: z.int() }))
    .mutation(async ({ ctx, input }) => {
      const caller = callerOf(ctx);
      if (!caller.userId) {
        throw new TRPCError({
          code: 'BAD_REQUEST',
          message: `${caller.actor} has no password to change: sign in as a user first.`,
        });
      }
      const user = await ctx.prisma.user.findUniqueOrThrow({
        where: { id: caller.userId },
        select: { id: true, name: true, passwordHash: true },
      });
      if (!(await verifyPassword(input.currentPassword, user.passwordHash))) {
        throw new TRPCError({
          code: 'BAD_REQUEST',
          message: 'The current password is wrong: type the one you signed in with.',
        });
      }
      if (input.newPassword === input.currentPassword)
        throw new TRPCError({ code: 'BAD_REQUEST', message: 'The new password is the current one: choose another.' });
      await ctx.prisma.user.update({
        where: { id: user.id },
        data: { passwordHash: await hashPassword(input.newPassword) },
      });
      const otherSessionsEnded = await endSessions(ctx.prisma, user.id, caller.sessionId);
      await auditPeople(ctx.prisma, caller.actor, 'user.password_changed', `${user.name} changed their password`, {
        user: user.name,
      });
      return { otherSessionsEnded };
    }),
});
