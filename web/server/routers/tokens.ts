import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { TokenName, UserName, hasRole } from '../../../domain/people.js';
import type { Caller } from '../auth/caller.js';
import { auditPeople } from '../auth/audit.js';
import { newApiToken } from '../auth/secrets.js';
import { type Context, callerOf, readProcedure, router } from '../trpc.js';

const TokenRow = z.object({
  id: z.string(),
  name: z.string(),
  user: z.string(),
  /** The token's first characters: enough to recognise it, never enough to use it. */
  prefix: z.string(),
  createdAt: z.iso.datetime(),
  lastUsedAt: z.iso.datetime().nullable(),
  revokedAt: z.iso.datetime().nullable(),
});

const tokenSelect = {
  id: true,
  name: true,
  prefix: true,
  createdAt: true,
  lastUsedAt: true,
  revokedAt: true,
  user: { select: { name: true } },
} as const;

function asRow(token: {
  id: string;
  name: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  user: { name: string };
}) {
  return {
    id: token.id,
    name: token.name,
    user: token.user.name,
    prefix: token.prefix,
    createdAt: token.createdAt.toISOString(),
    lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
    revokedAt: token.revokedAt?.toISOString() ?? null,
  };
}

/** Everyone manages their own tokens; an admin manages anyone's. */
function assertMayManage(caller: Caller, owner: string) {
  if (owner === caller.name && caller.userId) return;
  if (hasRole(caller.role, 'admin')) return;
  throw new TRPCError({
    code: 'FORBIDDEN',
    message: `The tokens of ${owner} are theirs to manage (or an admin's); you are ${caller.name}, ${caller.role}.`,
  });
}

/** The user whose tokens are meant: the one named, else the caller, who must then have an account. */
async function ownerOf(ctx: Context, caller: Caller, name: string | undefined) {
  const owner = name ?? (caller.userId ? caller.name : undefined);
  if (!owner)
    throw new TRPCError({
      code: 'BAD_REQUEST',
      message: `${caller.actor} has no account to hold tokens: name the user, or sign in as one.`,
    });
  assertMayManage(caller, owner);
  const user = await ctx.prisma.user.findUnique({
    where: { name: owner },
    select: { id: true, name: true, disabledAt: true },
  });
  if (!user) throw new TRPCError({ code: 'NOT_FOUND', message: `No user named ${owner}.` });
  return user;
}

export const tokensRouter = router({
  /** A new API token for scripts (`Authorization: Bearer mst_…`); the token is in this answer and nowhere else, ever. */
  create: readProcedure
    .input(z.strictObject({ name: TokenName, user: UserName.optional() }))
    .output(TokenRow.extend({ token: z.string() }))
    .mutation(async ({ ctx, input }) => {
      const caller = callerOf(ctx);
      const user = await ownerOf(ctx, caller, input.user);
      if (user.disabledAt)
        throw new TRPCError({
          code: 'PRECONDITION_FAILED',
          message: `${user.name} is disabled: enable the account first.`,
        });
      const secret = newApiToken();
      const token = await ctx.prisma.apiToken.create({
        data: { name: input.name, userId: user.id, tokenHash: secret.hash, prefix: secret.prefix },
        select: tokenSelect,
      });
      await auditPeople(
        ctx.prisma,
        caller.actor,
        'token.created',
        `API token "${input.name}" (${secret.prefix}…) created for ${user.name}`,
        { user: user.name, token: token.id, prefix: secret.prefix },
      );
      return { ...asRow(token), token: secret.token };
    }),

  /** Your tokens (an admin may name a user; the local admin, who has none, sees everyone's), newest first. */
  list: readProcedure
    .input(z.strictObject({ user: UserName.optional() }).prefault({}))
    .output(z.array(TokenRow))
    .query(async ({ ctx, input }) => {
      const caller = callerOf(ctx);
      const everyone = !input.user && !caller.userId && hasRole(caller.role, 'admin');
      const where = everyone ? {} : { userId: (await ownerOf(ctx, caller, input.user)).id };
      const tokens = await ctx.prisma.apiToken.findMany({
        where,
        select: tokenSelect,
        orderBy: { createdAt: 'desc' },
        take: 500,
      });
      return tokens.map(asRow);
    }),

  /** Stops a token from working, at once; revoking a revoked token changes nothing. */
  revoke: readProcedure
    .input(z.strictObject({ id: z.uuid('give the token id, as tokens.list shows it') }))
    .output(TokenRow)
    .mutation(async ({ ctx, input }) => {
      const caller = callerOf(ctx);
      const token = await ctx.prisma.apiToken.findUnique({ where: { id: input.id }, select: tokenSelect });
      if (!token)
        throw new TRPCError({ code: 'NOT_FOUND', message: `No API token ${input.id}: tokens.list shows yours.` });
      assertMayManage(caller, token.user.name);
      if (token.revokedAt) return asRow(token);
      const revoked = await ctx.prisma.apiToken.update({
        where: { id: token.id },
        data: { revokedAt: new Date() },
        select: tokenSelect,
      });
      await auditPeople(
        ctx.prisma,
        caller.actor,
        'token.revoked',
        `API token "${token.name}" (${token.prefix}…) of ${token.user.name} revoked`,
        { user: token.user.name, token: token.id, prefix: token.prefix },
      );
      return asRow(revoked);
    }),
});
