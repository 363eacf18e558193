import { initTRPC } from '@trpc/server';
import type { CreateHTTPContextOptions } from '@trpc/server/adapters/standalone';
import type { Client, Connection } from '@temporalio/client';
import { ZodError } from 'zod';
import type { PrismaClient } from '../../activities/store/prisma.js';
import type { LoadedConfig } from '../../stack/config.js';
import type { Logger } from '../../stack/log.js';

// --- context -------------------------------------------------------------------------------------

export interface ServerDeps {
  config: LoadedConfig;
  prisma: PrismaClient;
  temporal: { connection: Connection; client: Client; address: string; namespace: string; uiUrl?: string };
  log: Logger;
  startedAt: Date;
}

/** The context without HTTP, for tests through `createCaller`. */
export function createContextInner(deps: ServerDeps) {
  return { ...deps };
}

export function contextFactory(deps: ServerDeps) {
  return (_opts: CreateHTTPContextOptions) => createContextInner(deps);
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
/** Anyone who can reach the API; roles arrive with sign-in. */
export const publicProcedure = t.procedure;

/** Who the caller is, for the audit log. Until sign-in arrives, everyone on the local API is `user:local`. */
export function actorOf(_ctx: Context): string {
  return 'user:local';
}

// Role procedures: placeholders until sign-in lands (issue 6, auth branch).
export const readProcedure = publicProcedure;
export const authorProcedure = publicProcedure;
export const reviewProcedure = publicProcedure;
export const adminProcedure = publicProcedure;
