import type { IncomingMessage, ServerResponse } from 'node:http';
import { TRPCError, initTRPC } from '@trpc/server';
import type { CreateHTTPContextOptions } from '@trpc/server/adapters/standalone';
import type { Client, Connection } from '@temporalio/client';
import { ZodError } from 'zod';
import type { PrismaClient } from '../../data/prisma.js';
import { type Role, hasRole } from '../../domain/people.js';
import type { LoadedConfig } from '../../runtime/config.js';
import type { Logger } from '../../runtime/log.js';
import { type AuthSettings, type Caller, LOCAL_ADMIN, SIGN_IN_FIRST, resolveCaller } from './auth/caller.js';
import { localAdminAllowed } from './auth/loopback.js';
import { sha256Hex } from './auth/secrets.js';

// --- context -------------------------------------------------------------------------------------

export interface ServerDeps {
  config: LoadedConfig;
  prisma: PrismaClient;
  temporal: { connection: Connection; client: Client; address: string; namespace: string; uiUrl?: string };
  log: Logger;
  startedAt: Date;
}

/** Who calls, or why nobody is recognised; and the HTTP exchange, for the procedures that set cookies. */
export interface RequestAuth {
  caller: Caller | null;
  /** Why the caller is null: what to tell them. */
  problem?: string;
  http?: { req: IncomingMessage; res: ServerResponse };
}

/** The context without HTTP, for tests through `createCaller`; the caller is the local admin unless given. */
export function createContextInner(deps: ServerDeps, auth: RequestAuth = { caller: LOCAL_ADMIN }) {
  return { ...deps, caller: auth.caller, authProblem: auth.problem, http: auth.http };
}

export function authSettingsOf(config: LoadedConfig): AuthSettings {
  return {
    localAdmin: localAdminAllowed(config.api),
    stackTokenHash: config.stackToken ? sha256Hex(config.stackToken) : undefined,
  };
}

export function contextFactory(deps: ServerDeps) {
  const settings = authSettingsOf(deps.config);
  return async ({ req, res }: CreateHTTPContextOptions) => {
    let auth: RequestAuth;
    try {
      auth = await resolveCaller(deps.prisma, req, settings);
    } catch (error) {
      // Public procedures (health, the system status) still answer while the database is down.
      deps.log.warn({ err: error }, 'could not check the credentials of a request');
      auth = {
        caller: null,
        problem: 'Your credentials could not be checked: the database did not answer. Try again in a moment.',
      };
    }
    return createContextInner(deps, { ...auth, http: { req, res } });
  };
}

export type Context = ReturnType<typeof createContextInner>;

// --- initialisation ------------------------------------------------------------------------------

const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error }) {
    const zodError = error.cause instanceof ZodError ? error.cause : undefined;
    return {
      ...shape,
      data: {
        ...shape.data,
        stack: undefined,
        issues: zodError?.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
      },
    };
  },
  sse: { ping: { enabled: true, intervalMs: 15_000 }, client: { reconnectAfterInactivityMs: 30_000 } },
});

// --- procedures ----------------------------------------------------------------------------------

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
/** Anyone who can reach the API: health, auth.signIn, auth.me. */
export const publicProcedure = t.procedure;

/** Refuses a caller nobody recognised (UNAUTHORIZED) or whose role is below `needed` (FORBIDDEN). */
function withRole(needed: Role) {
  return t.procedure.use(({ ctx, next, path }) => {
    const caller = ctx.caller;
    if (!caller) throw new TRPCError({ code: 'UNAUTHORIZED', message: ctx.authProblem ?? SIGN_IN_FIRST });
    if (!hasRole(caller.role, needed))
      throw new TRPCError({ code: 'FORBIDDEN', message: `${path} needs the ${needed} role; you are ${caller.role}` });
    return next({ ctx: { ...ctx, caller } });
  });
}

/** Roles rank reader < author < reviewer < admin; each procedure names the least it needs. */
export const readProcedure = withRole('reader');
export const authorProcedure = withRole('author');
export const reviewProcedure = withRole('reviewer');
export const adminProcedure = withRole('admin');

/** The caller, for procedures behind a role (which refuse a request without one). */
export function callerOf(ctx: Context): Caller {
  if (!ctx.caller) throw new TRPCError({ code: 'UNAUTHORIZED', message: ctx.authProblem ?? SIGN_IN_FIRST });
  return ctx.caller;
}

/** Who the caller is, for the audit log and every signal: `user:<name>` (or `user:local`, `system:stack`). */
export function actorOf(ctx: Context): string {
  return callerOf(ctx).actor;
}
