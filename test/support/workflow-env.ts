import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { defineSearchAttributeKey } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { inject } from 'vitest';
import { disconnectPrisma, prismaFor, type PrismaClient } from '../../data/prisma.js';
import { insertProject, projectSuites, projectTerritories } from '../../data/projects.js';
import { subtaskWorkflowId } from '../../domain/naming.js';
import type { PhaseDefinition, PhaseName } from '../../domain/phases.js';
import type { LadderSettings } from '../../domain/escalation.js';
import type { LoadedConfig } from '../../runtime/config.js';
import { type BudgetInput, ProjectInput } from '../../domain/project.js';
import { TASK_QUEUES } from '../../domain/queues.js';
import { MAESTRO_SEARCH_ATTRIBUTES } from '../../domain/search-attributes.js';
import { SubtaskSpec, type SubtaskSpecInput } from '../../domain/subtask-spec.js';
import { type Logger, createLogger } from '../../runtime/log.js';
import { projectRoot } from '../../runtime/project-root.js';
import { SAMPLE_PROJECT, createSampleRepository } from '../../stack/demo/sample-repo.js';
import type { ScriptedConversation } from '../../stack/scripted-model/script.js';
import { type ScriptedModelServer, startScriptedModelServer } from '../../stack/scripted-model/server.js';
import { resolveTemporalCli } from '../../stack/temporal-cli.js';
import { git } from '../../git/git.js';
import { registerSubtaskRow } from '../../web/server/subtasks.js';
import { type Context, createContextInner } from '../../web/server/trpc.js';
import {
  SUBTASK_WORKFLOW,
  type SubtaskSettings,
  type SubtaskState,
  type SubtaskWorkflowInput,
  stateQuery,
} from '../../workflows/subtask/subtask.shared.js';
import { GREEN_ONLY, LADDER, SETTINGS, loadTestConfig } from './workflow-env-settings.js';
import { installWorkerRuntime, startWorkers } from './workflow-workers.js';

/**
 * The subtask workflow on real parts, in the test process: a Temporal dev server of the test file's
 * own (the Temporal CLI, through @temporalio/testing), the real workers of every queue on it, the
 * shared stack's PostgreSQL, real git repositories and real test commands. Only the model is played,
 * by the scripted model server over the provider's HTTP protocol. The workflow is started directly,
 * with an input the test controls: short phase lists, small timers, the ladder's tiers on or off.
 */

export interface TestProject {
  id: string;
  name: string;
  repoPath: string;
  snapshot: SubtaskWorkflowInput['project'];
}

export interface StartOptions {
  key: string;
  risk?: 'low' | 'medium' | 'high';
  phases?: PhaseDefinition[];
  settings?: Partial<SubtaskSettings>;
  ladder?: Partial<LadderSettings>;
  dependencies?: string[];
  title?: string;
}

export interface StartedSubtask {
  handle: WorkflowHandle;
  workflowId: string;
  subtaskId: string;
  key: string;
  project: TestProject;
}

export interface WorkflowEnv {
  env: TestWorkflowEnvironment;
  client: Client;
  scripted: ScriptedModelServer;
  prisma: PrismaClient;
  config: LoadedConfig;
  /** Adds conversations to the scripted model; the newest match first. */
  script(...conversations: ScriptedConversation[]): void;
  /** A new git repository of the sample project (plus `files`, committed on main), registered under a name unique to this run. */
  project(
    files?: Record<string, string>,
    options?: {
      budget?: BudgetInput;
      /** Another test command than the sample's `npm test`. */
      testCommand?: string;
      /** No machine-readable report: the runner's own output is all there is. */
      withoutReport?: boolean;
    },
  ): Promise<TestProject>;
  /** The API's context without HTTP, as the local admin: to call the API's own functions (setBudget, say). */
  api(): Context;
  /** Registers a subtask's row as `subtask.start` does, without starting its workflow (a dependency, say). */
  register(
    project: TestProject,
    key: string,
    options?: Omit<StartOptions, 'key'>,
  ): Promise<{ workflowId: string; subtaskId: string }>;
  /** Registers a subtask as `subtask.start` does and starts its workflow with the input given. */
  start(project: TestProject, options: StartOptions): Promise<StartedSubtask>;
  state(subtask: StartedSubtask): Promise<SubtaskState>;
  waitFor(
    subtask: StartedSubtask,
    until: (state: SubtaskState) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<SubtaskState>;
  /** The subtask's audit log, oldest first. */
  events(subtask: StartedSubtask): Promise<Array<{ kind: string; actor: string; message: string; data: unknown }>>;
  close(): Promise<void>;
}

const SEARCH_ATTRIBUTES = Object.keys(MAESTRO_SEARCH_ATTRIBUTES).map((name) =>
  defineSearchAttributeKey(name, 'KEYWORD'),
);

export async function startWorkflowEnv(label: string): Promise<WorkflowEnv> {
  const { databaseUrl } = inject('sharedStack');
  // Errors only: the attempts that fail on purpose would fill the output with the SDK's warnings.
  const log = createLogger(`wftest-${label}`, 'error');
  installWorkerRuntime(log);
  const cli =
    process.env.TEMPORAL_CLI_PATH ??
    (await resolveTemporalCli(
      { cliPath: undefined, binDir: path.join(projectRoot(), '.maestro', 'bin'), env: process.env },
      log,
    ));
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: cli },
      namespace: 'maestro',
      searchAttributes: SEARCH_ATTRIBUTES,
      log: { format: 'pretty', level: 'error' },
    },
  });
  try {
    return await assemble(label, env, databaseUrl, log);
  } catch (error) {
    // A harness that could not start leaves no dev server behind.
    await env.teardown().catch(() => undefined);
    throw error;
  }
}

/** The workers, the scripted model and the helpers, on a running dev server. */
async function assemble(
  label: string,
  env: TestWorkflowEnvironment,
  databaseUrl: string,
  log: Logger,
): Promise<WorkflowEnv> {
  const folder = mkdtempSync(path.join(os.tmpdir(), `maestro-wf-${label}-`));
  chmodSync(folder, 0o755);
  const conversations: ScriptedConversation[] = [];
  const scripted = await startScriptedModelServer({ script: { name: label, conversations } });
  const config = loadTestConfig(folder, {
    modelBaseUrl: scripted.baseUrl,
    databaseUrl,
    temporalAddress: env.address,
  });
  const prisma = prismaFor(databaseUrl);
  const workers = await startWorkers(env, config, prisma, log);

  const tag = randomBytes(3).toString('hex');
  let projects = 0;
  const repos = path.join(folder, 'repos');
  mkdirSync(repos);

  const state = (subtask: StartedSubtask) => subtask.handle.query(stateQuery);
  /** The subtask's row, as subtask.start registers it (the row the workflow writes to). */
  const register = async (project: TestProject, key: string, options: Omit<StartOptions, 'key'> = {}) => {
    const phases = options.phases ?? GREEN_ONLY;
    const spec = SubtaskSpec.parse({
      project: project.name,
      key,
      title: options.title ?? `Workflow test ${key}`,
      acceptanceCriteria: ['every test passes'],
      risk: options.risk ?? 'low',
      dependencies: options.dependencies ?? [],
    } satisfies SubtaskSpecInput);
    const workflowId = subtaskWorkflowId(project.name, spec.key);
    const subtaskId = await registerSubtaskRow(prisma, project.id, spec, workflowId, phases);
    return { spec, workflowId, subtaskId };
  };
  return {
    env,
    client: env.client,
    scripted,
    prisma,
    config,
    script(...added) {
      conversations.unshift(...added);
      scripted.setScript({ name: label, conversations });
    },
    api: () =>
      createContextInner({
        config,
        prisma,
        temporal: { connection: env.connection, client: env.client, address: env.address, namespace: 'maestro' },
        log,
        startedAt: new Date(),
      }),
    async project(files = {}, options = {}) {
      const name = `wf-${label}-${tag}-${++projects}`;
      const repoPath = path.join(repos, name);
      await createSampleRepository(repoPath);
      if (Object.keys(files).length > 0) await commitFiles(repoPath, files, 'test files');
      // Without an integration suite: one test command per check keeps every check short.
      const input = ProjectInput.parse({
        name,
        repository: repoPath,
        baseBranch: SAMPLE_PROJECT.baseBranch,
        testCommand: options.testCommand ?? SAMPLE_PROJECT.testCommand,
        testReport: options.withoutReport ? undefined : SAMPLE_PROJECT.testReport,
        budget: options.budget,
      });
      const row = await insertProject(prisma, input, repoPath, undefined);
      return {
        id: row.id,
        name,
        repoPath,
        snapshot: {
          id: row.id,
          name,
          repoPath,
          baseBranch: row.baseBranch,
          installCommand: row.installCommand ?? undefined,
          suites: projectSuites(row),
          territories: projectTerritories(row),
        },
      };
    },
    register,
    async start(project, options) {
      const phases = options.phases ?? GREEN_ONLY;
      const { spec, workflowId, subtaskId } = await register(project, options.key, { ...options, phases });
      const input: SubtaskWorkflowInput = {
        subtaskId,
        spec,
        project: project.snapshot,
        phases,
        settings: { ...SETTINGS, ...options.settings },
        models: {
          providers: config.models.providers,
          registry: config.models.registry,
          routing: config.models.routing,
        },
        ladder: { ...LADDER, ...options.ladder },
        startedBy: 'user:wftest',
      };
      const handle = await env.client.workflow.start(SUBTASK_WORKFLOW, {
        taskQueue: TASK_QUEUES.workflows,
        workflowId,
        args: [input],
        typedSearchAttributes: [{ key: defineSearchAttributeKey('MaestroStatus', 'KEYWORD'), value: 'pending' }],
      });
      return { handle, workflowId, subtaskId, key: spec.key, project };
    },
    state,
    async waitFor(subtask, until, what, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      let last: SubtaskState | undefined;
      while (Date.now() < deadline) {
        last = await state(subtask).catch(() => last);
        if (last && until(last)) return last;
        await sleep(40);
      }
      throw new Error(
        `${subtask.key}: timed out waiting for ${what}; last state: ${JSON.stringify(last && { status: last.status, phase: last.phase, attempt: last.attempt, paused: last.paused, blocked: last.blocked?.reason, lastFailure: last.lastFailure?.reason })}`,
      );
    },
    async events(subtask) {
      return prisma.activityEvent.findMany({
        where: { workflowId: subtask.workflowId },
        orderBy: { id: 'asc' },
        select: { kind: true, actor: true, message: true, data: true },
      });
    },
    async close() {
      await workers.stop();
      await scripted.close();
      await env.teardown();
      await disconnectPrisma();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** Commits files on the repository's checked-out branch (main), as a person would. */
export async function commitFiles(repoPath: string, files: Record<string, string>, message: string): Promise<string> {
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(repoPath, file)), { recursive: true });
    writeFileSync(path.join(repoPath, file), content);
  }
  await git(repoPath, ['add', '--all']);
  await git(repoPath, ['commit', '--quiet', '-m', message], { name: 'Test', email: 'test@maestro.local' });
  return git(repoPath, ['rev-parse', 'HEAD']);
}

export type { PhaseName };
