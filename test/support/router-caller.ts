import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { TRPCError } from '@trpc/server';
import { ZodError } from 'zod';
import { type Prisma, prismaFor } from '../../data/prisma.js';
import { subtaskWorkflowId } from '../../domain/naming.js';
import { type Role, userActor } from '../../domain/people.js';
import { git } from '../../git/git.js';
import { loadConfig } from '../../runtime/config.js';
import { createLogger } from '../../runtime/log.js';
import { type Caller, LOCAL_ADMIN } from '../../web/server/auth/caller.js';
import { appRouter } from '../../web/server/root.js';
import { type RequestAuth, type ServerDeps, createContextInner } from '../../web/server/trpc.js';
import type { SharedStack } from '../global-setup.js';

/**
 * The API's procedures called in-process (`appRouter.createCaller`), on the shared stack's real
 * PostgreSQL and Temporal: no HTTP, the same context the server builds for a request.
 */
export async function routerHarness(shared: SharedStack) {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'maestro-router-test-'));
  const config = loadConfig({
    env: {
      MAESTRO_DATA_DIR: shared.dataDir,
      DATABASE_URL: shared.databaseUrl,
      TEMPORAL_ADDRESS: shared.temporalAddress,
    },
    cwd,
  });
  const connection = await Connection.connect({ address: shared.temporalAddress });
  const deps: ServerDeps = {
    config,
    prisma: prismaFor(shared.databaseUrl),
    temporal: {
      connection,
      client: new Client({ connection, namespace: shared.namespace }),
      address: shared.temporalAddress,
      namespace: shared.namespace,
    },
    log: createLogger('router-test', 'error'),
    startedAt: new Date(),
  };
  const as = (caller: Caller | null = LOCAL_ADMIN, problem?: string) =>
    appRouter.createCaller(createContextInner(deps, { caller, problem } satisfies RequestAuth));
  return {
    deps,
    prisma: deps.prisma,
    /** The procedures as this caller (the local admin unless given; `null` for a request nobody recognised). */
    as,
    /** A project made through project.create, on a fresh repository: its row. */
    project: async (label: string) => {
      const name = unique(label);
      await as().project.create({ name, repository: await gitRepository(name), testCommand: 'npm test' });
      return deps.prisma.project.findUniqueOrThrow({ where: { name }, select: { id: true, name: true } });
    },
    /** A subtask's row as an activity registers it, without its workflow (nothing runs). */
    subtask: (
      project: { id: string; name: string },
      key: string,
      row: Partial<Prisma.SubtaskUncheckedCreateInput> = {},
    ) =>
      deps.prisma.subtask.create({
        data: {
          projectId: project.id,
          key,
          title: `Subtask ${key}`,
          risk: 'low',
          workflowId: `${subtaskWorkflowId(project.name, key)}-seeded`,
          spec: {},
          ...row,
        },
        select: { id: true, key: true, workflowId: true },
      }),
    close: () => connection.close(),
  };
}

/** A name no other test uses: `<label>-<random>`. */
export function unique(label: string): string {
  return `${label}-${randomBytes(3).toString('hex')}`;
}

/** Someone with a role, as the API sees a token's owner (`userId` for a real account). */
export function person(name: string, role: Role, userId?: string): Caller {
  return { actor: userActor(name), name, role, via: 'token', userId };
}

/** How a procedure refused: the tRPC code, the message and, for bad input, zod's issues by path. */
export async function refusal(call: Promise<unknown>) {
  const error = await call.then(
    (value: unknown) => new Error(`expected a refusal, got ${JSON.stringify(value)}`),
    (caught: unknown) => caught,
  );
  if (!(error instanceof TRPCError)) throw error;
  const issues =
    error.cause instanceof ZodError
      ? error.cause.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }))
      : undefined;
  return { code: error.code, message: error.message, issues };
}

const repos = mkdtempSync(path.join(os.tmpdir(), 'maestro-router-repos-'));

/** A git repository with one commit on `main`, for project.create. */
export async function gitRepository(name: string): Promise<string> {
  const repository = path.join(repos, name);
  mkdirSync(repository);
  writeFileSync(path.join(repository, 'README.md'), `# ${name}\n`);
  await git(repository, ['init', '--quiet', '--initial-branch=main']);
  await git(repository, ['add', '--all']);
  await git(repository, ['commit', '--quiet', '-m', 'first'], {
    name: 'Router Test',
    email: 'router-test@maestro.local',
  });
  return repository;
}
