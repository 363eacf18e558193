import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { recordedName } from './workflow-history.js';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { createTRPCClient, httpLink } from '@trpc/client';
import { disconnectPrisma, prismaFor, type PrismaClient } from '../../data/prisma.js';
import { dataLayout } from '../../runtime/data-dir.js';
import { SAMPLE_PROJECT, createSampleRepository } from '../../stack/demo/sample-repo.js';
import type { ReadyInfo } from '../../stack/local-stack.js';
import { embeddedDatabaseUrl } from '../../runtime/database-url.js';
import { projectRoot } from '../../runtime/project-root.js';
import { createLogger } from '../../runtime/log.js';
import { resolveTemporalCli } from '../../stack/temporal-cli.js';
import { execa } from 'execa';
import type { ScriptedConversation } from '../../stack/scripted-model/script.js';
import { type ScriptedModelServer, startScriptedModelServer } from '../../stack/scripted-model/server.js';
import type { AppRouter } from '../../web/server/root.js';
import type { SubtaskState } from '../../workflows/subtask/subtask.shared.js';
import { MaestroProcess, freePorts, newDataDir } from './maestro-process.js';

export type Api = ReturnType<typeof createTRPCClient<AppRouter>>;

/**
 * A Maestro of its own for subtask tests: a real stack whose agents are played by a scripted model
 * running in the test process, plus the clients a test needs to watch it.
 */
export interface SubtaskHarness {
  maestro: MaestroProcess;
  ready: ReadyInfo;
  api: Api;
  scripted: ScriptedModelServer;
  temporal: Client;
  prisma: PrismaClient;
  dataDir: string;
  /** Adds conversations to the scripted model (they match by subtask key, so tests do not collide). */
  script(...conversations: ScriptedConversation[]): void;
  /** A new git repository of the sample project, registered as a project. */
  sampleProject(
    name: string,
    options?: {
      files?: Record<string, string>;
      testCommand?: string;
      withoutReports?: boolean;
      withoutIntegration?: boolean;
      budget?: { softUsd?: number; hardUsd?: number; emergencyUsd?: number };
    },
  ): Promise<string>;
  waitFor(
    project: string,
    key: string,
    until: (state: SubtaskState) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<SubtaskState>;
  /** Waits until no model call is in flight (a retried agent's earlier call may still finish, and be charged). */
  modelCallsSettled(): Promise<void>;
  /** Saves the workflow's history under test/histories when RECORD_HISTORIES is set, for the replay test. */
  recordHistory(workflowId: string, name: string): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** maestro.config.json for this stack, built once the scripted model server knows its address. */
  config?: (scripted: ScriptedModelServer) => Record<string, unknown>;
  /** Sign the harness's API client in as the first admin (with the password the stack wrote), for stacks where sign-in is required. */
  signInAsFirstAdmin?: boolean;
}

export async function startSubtaskHarness(
  label: string,
  env: NodeJS.ProcessEnv = {},
  options: HarnessOptions = {},
): Promise<SubtaskHarness> {
  const conversations: ScriptedConversation[] = [];
  const scripted = await startScriptedModelServer({ script: { name: label, conversations } });
  const dataDir = newDataDir(label);
  const ports = await freePorts();
  let configFile: string | undefined;
  if (options.config) {
    configFile = path.join(path.dirname(dataDir), 'maestro.config.json');
    writeFileSync(configFile, JSON.stringify(options.config(scripted), null, 2));
  }
  const { maestro, ready } = await MaestroProcess.start({
    dataDir,
    ports,
    env: {
      MAESTRO_MODEL_BASE_URL: scripted.baseUrl,
      MAESTRO_MODEL: 'scripted',
      MAESTRO_RETRY_BACKOFF_MS: '50',
      MAESTRO_HEARTBEAT_TIMEOUT_MS: '5000',
      // The ladder's upper tiers are off unless a test is about them: tier 1 goes straight to a person.
      MAESTRO_STRATEGIC_REVIEW: 'false',
      MAESTRO_COUNCIL: 'false',
      ...(configFile ? { MAESTRO_CONFIG: configFile } : {}),
      ...env,
    },
  });
  const headers = options.signInAsFirstAdmin
    ? {
        cookie: await signIn(
          ready.consoleUrl,
          'admin',
          readFileSync(path.join(dataDir, 'admin-password'), 'utf8').trim(),
        ),
      }
    : {};
  const api = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${ready.consoleUrl}/trpc`, headers })] });
  const connection = await Connection.connect({ address: ready.temporalAddress });
  const temporal = new Client({ connection, namespace: 'maestro' });
  const prisma = prismaFor(embeddedDatabaseUrl(dataLayout(dataDir).postgresCredentials, ports.postgres));
  const repos = mkdtempSync(path.join(os.tmpdir(), `maestro-${label}-repos-`));
  chmodSync(repos, 0o755);

  return {
    maestro,
    ready,
    api,
    scripted,
    temporal,
    prisma,
    dataDir,
    script(...added) {
      conversations.unshift(...added);
      scripted.setScript({ name: label, conversations });
    },
    async sampleProject(name, options = {}) {
      const repository = path.join(repos, name);
      await createSampleRepositoryWith(repository, options.files ?? {});
      await api.project.create.mutate({
        name,
        repository,
        ...SAMPLE_PROJECT,
        ...(options.testCommand ? { testCommand: options.testCommand } : {}),
        ...(options.withoutReports ? { testReport: undefined, integrationTestReport: undefined } : {}),
        ...(options.withoutIntegration ? { integrationTestCommand: undefined, integrationTestReport: undefined } : {}),
        ...(options.budget ? { budget: options.budget } : {}),
      });
      return repository;
    },
    async waitFor(project, key, until, what, timeoutMs = 80_000) {
      const deadline = Date.now() + timeoutMs;
      let last: SubtaskState | undefined;
      let lastError: unknown;
      while (Date.now() < deadline) {
        try {
          last = await api.subtask.state.query({ project, key });
          if (until(last)) return last;
        } catch (error) {
          lastError = error; // not started yet, or the query failed: reported if nothing else comes
        }
        await sleep(150);
      }
      throw new Error(
        `timed out waiting for ${what}; last state: ${JSON.stringify(last && { status: last.status, phase: last.phase, attempt: last.attempt, lastFailure: last.lastFailure?.reason, blocked: last.blocked })}${last ? '' : `; last error: ${String(lastError)}`}`,
      );
    },
    async modelCallsSettled() {
      const deadline = Date.now() + 60_000;
      while (
        (await temporal.workflow.count("WorkflowType = 'modelCallWorkflow' AND ExecutionStatus = 'Running'")).count > 0
      ) {
        if (Date.now() > deadline) throw new Error('model calls still running after a minute');
        await sleep(250);
      }
    },
    async recordHistory(workflowId, name) {
      if (!process.env.RECORD_HISTORIES) return;
      // The JSON the SDK's historyFromJSON reads: `temporal workflow show`, payloads encoded.
      const cli = await resolveTemporalCli(
        {
          cliPath: process.env.TEMPORAL_CLI_PATH,
          binDir: path.join(projectRoot(), '.maestro', 'bin'),
          env: process.env,
        },
        createLogger('test', 'silent'),
      );
      const { stdout } = await execa(cli, [
        'workflow',
        'show',
        '--workflow-id',
        workflowId,
        '--namespace',
        'maestro',
        '--address',
        ready.temporalAddress,
        '--output',
        'json',
        '--no-json-shorthand-payloads',
      ]);
      const folder = path.join(projectRoot(), 'test', 'histories');
      mkdirSync(folder, { recursive: true });
      writeFileSync(path.join(folder, `${recordedName(name)}.json`), `${stdout.trim()}\n`);
      // Replayed under its own id: a workflow that names its children after itself needs it.
      writeFileSync(path.join(folder, `${recordedName(name)}.id`), `${workflowId}\n`);
    },
    async close() {
      await maestro.stop('SIGTERM');
      await connection.close();
      await disconnectPrisma();
      await scripted.close();
    },
  };
}

async function createSampleRepositoryWith(repository: string, files: Record<string, string>) {
  await createSampleRepository(repository);
  if (Object.keys(files).length === 0) return;
  const { git } = await import('../../git/git.js');
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(repository, file)), { recursive: true });
    writeFileSync(path.join(repository, file), content);
  }
  await git(repository, ['add', '--all']);
  await git(repository, ['commit', '--quiet', '-m', 'test files'], { name: 'Test', email: 'test@maestro.local' });
}

/** Signs in through the API, as the console does; returns the session cookie (`maestro_session=…`) to send. */
export async function signIn(apiUrl: string, name: string, password: string): Promise<string> {
  const response = await fetch(`${apiUrl}/trpc/auth.signIn`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, password }),
  });
  if (!response.ok) throw new Error(`signing in as ${name} failed: ${response.status} ${await response.text()}`);
  const cookie = response.headers.getSetCookie().find((line) => line.startsWith('maestro_session='));
  if (!cookie) throw new Error(`signing in as ${name} set no session cookie`);
  return cookie.split(';')[0]!;
}
