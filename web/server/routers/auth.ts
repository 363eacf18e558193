import { setTimeout as sleep } from 'node:timers/promises';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { Role } from '../../../domain/people.js';
import { boundedText } from '../../../domain/text.js';
import { SESSION_COOKIE, clearSessionCookie, readCookie, setSessionCookie } from '../auth/cookies.js';
import { verifyAgainstDecoy, verifyPassword } from '../auth/passwords.js';
import { sha256Hex } from '../auth/secrets.js';
import { createSession } from '../auth/sessions.js';
import { SignInThrottle } from '../auth/sign-in-throttle.js';
import { publicProcedure, router } from '../trpc.js';

/** A failed sign-in costs a little more than a successful one: guessing stays slow even before the lockout. */
const FAILED_SIGN_IN_DELAY_MS = 300;
const throttle = new SignInThrottle();

const Me = z.object({
  user: z.object({ name: z.string(), role: Role }).nullable(),
  /** Nothing works until the caller signs in (a non-local bind, MAESTRO_AUTH=required, or an ended session). */
  signInRequired: z.boolean(),
  /** Why sign-in is required, when the caller sent credentials that no longer work. */
  reason: z.string().optional(),
});

export const authRouter = router({
  /** Checks the name and password and sets the session cookie (HttpOnly, SameSite=Lax). */
  signIn: publicProcedure
    .input(
      z.strictObject({
        name: boundedText(64, 'a user name', { trim: true }).toLowerCase().min(1, 'type your user name'),
        password: z.string().min(1, 'type your password').max(1_000, 'a password has at most 1000 characters'),
      }),
    )
    .output(Me)
    .mutation(async ({ ctx, input }) => {
      const attempt = { name: input.name, source: ctx.http?.req.socket.remoteAddress ?? 'in-process' };
      // The lockout stops guessing, not the person: one who already holds a valid session or token as that name goes through.
      const provenAlready =
        (ctx.caller?.via === 'session' || ctx.caller?.via === 'token') && ctx.caller.name === input.name;
      const wait = provenAlready ? 0 : throttle.waitFor(attempt);
      if (wait > 0) {
        throw new TRPCError({
          code: 'TOO_MANY_REQUESTS',
          message: `Too many failed sign-ins for ${input.name} from this address: try again in ${Math.ceil(wait / 1000)} s.`,
        });
      }
      const user = await ctx.prisma.user.findUnique({
        where: { name: input.name },
        select: { id: true, name: true, role: true, passwordHash: true, disabledAt: true },
      });
      const valid = user
        ? await verifyPassword(input.password, user.passwordHash)
        : await verifyAgainstDecoy(input.password);
      if (!user || !valid) {
        throttle.failed(attempt);
        // The name is logged only when it is a user's: a password typed into the name field never is.
        ctx.log.info(user ? { name: user.name } : {}, 'a sign-in failed: wrong name or password');
        await sleep(FAILED_SIGN_IN_DELAY_MS);
        throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Wrong name or password.' });
      }
      if (user.disabledAt)
        throw new TRPCError({
          code: 'FORBIDDEN',
          message: `The account ${user.name} is disabled: ask an admin to enable it.`,
        });
      throttle.succeeded(attempt);
      // A sign-in over an older session replaces it rather than leaving it valid behind the new cookie.
      const previous = ctx.http ? readCookie(ctx.http.req, SESSION_COOKIE) : undefined;
      if (previous) await ctx.prisma.session.deleteMany({ where: { id: sha256Hex(previous) } });
      const session = await createSession(ctx.prisma, user.id);
      if (ctx.http) setSessionCookie(ctx.http.req, ctx.http.res, session.secret, session.maxAgeSeconds);
      ctx.log.info({ user: user.name, role: user.role }, 'signed in');
      return { user: { name: user.name, role: user.role }, signInRequired: false };
    }),

  /** Ends this session (also when it has ended already) and clears the cookie. */
  signOut: publicProcedure.output(z.object({ signedOut: z.boolean() })).mutation(async ({ ctx }) => {
    const secret = ctx.http ? readCookie(ctx.http.req, SESSION_COOKIE) : undefined;
    const ended = secret
      ? (await ctx.prisma.session.deleteMany({ where: { id: sha256Hex(secret) } })).count > 0
      : false;
    if (ctx.http) clearSessionCookie(ctx.http.req, ctx.http.res);
    if (ended) ctx.log.info({ user: ctx.caller?.name }, 'signed out');
    return { signedOut: ended };
  }),

  /** Who the console is talking as: a signed-in user, the local admin (user null), or nobody yet. */
  me: publicProcedure.output(Me).query(({ ctx }) => {
    const caller = ctx.caller;
    if (!caller) {
      // Say why only to those whose credentials stopped working; the others just see the sign-in page.
      const sentCredentials =
        ctx.http !== undefined &&
        (ctx.http.req.headers.authorization !== undefined || readCookie(ctx.http.req, SESSION_COOKIE) !== undefined);
      return { user: null, signInRequired: true, ...(sentCredentials ? { reason: ctx.authProblem } : {}) };
    }
    const person = caller.via === 'session' || caller.via === 'token';
    return { user: person ? { name: caller.name, role: caller.role } : null, signInRequired: false };
  }),
});
