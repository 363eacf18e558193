import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { ApplicationFailure, defineSearchAttributeKey } from '@temporalio/common';
import { TRPCError } from '@trpc/server';
import { providerRefs } from '../../domain/models.js';
import { subtaskBranch, subtaskWorkflowId } from '../../domain/naming.js';
import { DEFAULT_PHASES, type PhaseDefinition, planPhases } from '../../domain/phases.js';
import { TASK_QUEUES } from '../../domain/queues.js';
import type { SubtaskSpec } from '../../domain/subtask-spec.js';
import type { PrismaClient } from '../../data/prisma.js';
import { projectSelect, projectSuites, projectTerritories } from '../../data/projects.js';
import { SUBTASK_WORKFLOW, type SubtaskWorkflowInput, stateQuery } from '../../workflows/subtask/subtask.shared.js';
import type { Context } from './trpc.js';

const AGENT_TIMEOUT_MS = 60 * 60_000;
const GRPC_NOT_FOUND = 5;
const GRPC_FAILED_PRECONDITION = 9;

export interface StartedSubtask {
  workflowId: string;
  subtaskId: string;
  /** False when this call found the subtask already started: starting is idempotent. */
  started: boolean;
  /**
   * On a second start, what this call gave that differs from the first start's spec and was not
   * taken: a running subtask keeps the spec it started with. Empty when all was the same.
   */
  ignored: ComparedField[];
}

/** The parts of a spec a second start may give differently. */
const COMPARED = ['title', 'description', 'acceptanceCriteria', 'filesInScope', 'risk', 'dependencies'] as const;
type ComparedField = (typeof COMPARED)[number];

/** What `spec` gives differently from the spec the subtask started with. */
function differences(first: unknown, spec: SubtaskSpec): ComparedField[] {
  const before = (first ?? {}) as Partial<Record<ComparedField, unknown>>;
  return COMPARED.filter((field) => JSON.stringify(before[field] ?? null) !== JSON.stringify(spec[field] ?? null));
}

export async function startSubtask(ctx: Context, spec: SubtaskSpec, actor: string): Promise<StartedSubtask> {
  const project = await ctx.prisma.project.findUnique({ where: { name: spec.project }, select: projectSelect });
  if (!project)
    throw new TRPCError({
      code: 'NOT_FOUND',
      message: `No project named ${spec.project}: create it first (project.create; on the command line: maestro project add ${spec.project} --repository <path> --test-command "<command>").`,
    });
  if (spec.dependencies.includes(spec.key))
    throw new TRPCError({ code: 'BAD_REQUEST', message: `${spec.key} cannot depend on itself.` });
  const known = await ctx.prisma.subtask.findMany({
    where: { projectId: project.id, key: { in: spec.dependencies } },
    select: { key: true },
  });
  const unknown = spec.dependencies.filter((key) => !known.some((row) => row.key === key));
  if (unknown.length > 0) {
    throw new TRPCError({
      code: 'BAD_REQUEST',
      message: `Unknown dependencies ${unknown.join(', ')}: start those subtasks first.`,
    });
  }

  const workflowId = subtaskWorkflowId(project.name, spec.key);
  const existing = await ctx.prisma.subtask.findUnique({
    where: { workflowId },
    select: { id: true, projectId: true, key: true, spec: true },
  });
  if (existing && (existing.projectId !== project.id || existing.key !== spec.key)) {
    // `subtask-a-b-1` is both project a, key b-1 and project a-b, key 1.
    throw new TRPCError({
      code: 'CONFLICT',
      message: `The workflow id ${workflowId} belongs to another subtask already: choose another key.`,
    });
  }
  const branch = subtaskBranch(spec.key, spec.title);
  const sameBranch = (
    await ctx.prisma.subtask.findMany({
      where: { projectId: project.id, key: { not: spec.key } },
      select: { key: true, title: true },
    })
  ).find((other) => subtaskBranch(other.key, other.title) === branch);
  if (sameBranch) {
    throw new TRPCError({
      code: 'CONFLICT',
      message: `Subtask ${sameBranch.key} works on the branch ${branch} already: choose another key or title.`,
    });
  }
  const suites = projectSuites(project);
  // Without an integration suite there are no integration phases to run (the state says so).
  const { phases } = planPhases(
    DEFAULT_PHASES,
    suites.map((suite) => suite.suite),
  );
  const subtaskId = existing?.id ?? (await registerSubtaskRow(ctx.prisma, project.id, spec, workflowId, phases));

  const settings = ctx.config.subtasks;
  const input: SubtaskWorkflowInput = {
    subtaskId,
    spec,
    project: {
      id: project.id,
      name: project.name,
      repoPath: project.repoPath,
      baseBranch: project.baseBranch,
      installCommand: project.installCommand ?? undefined,
      suites,
      territories: projectTerritories(project),
    },
    phases,
    settings: {
      maxAttempts: settings.maxAttempts,
      retryBackoffMs: settings.retryBackoffMs,
      retryBackoffMaxMs: settings.retryBackoffMaxMs,
      heartbeatTimeoutMs: settings.heartbeatTimeoutMs,
      agentTimeoutMs: AGENT_TIMEOUT_MS,
      checkTimeoutMs: ctx.config.commands.maxDurationMs * (suites.length + 1) + 5 * 60_000,
    },
    models: {
      providers: providerRefs(ctx.config.models.providers),
      registry: ctx.config.models.registry,
      routing: ctx.config.models.routing,
    },
    ladder: ctx.config.escalation,
    startedBy: actor,
  };
  try {
    await ctx.temporal.client.workflow.start(SUBTASK_WORKFLOW, {
      taskQueue: TASK_QUEUES.workflows,
      workflowId,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [
        { key: defineSearchAttributeKey('MaestroProject', 'KEYWORD'), value: project.name },
        { key: defineSearchAttributeKey('MaestroSubtaskKey', 'KEYWORD'), value: spec.key },
        { key: defineSearchAttributeKey('MaestroRisk', 'KEYWORD'), value: spec.risk },
        { key: defineSearchAttributeKey('MaestroStatus', 'KEYWORD'), value: 'pending' },
      ],
    });
  } catch (error) {
    // The workflow ran before and is closed: still the same subtask, not a second run.
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
  return { workflowId, subtaskId, started: !existing, ignored: existing ? differences(existing.spec, spec) : [] };
}

/** The subtask's row, written once per workflow id before its workflow starts: the row the workflow writes to. */
export async function registerSubtaskRow(
  prisma: PrismaClient,
  projectId: string,
  spec: SubtaskSpec,
  workflowId: string,
  phases: readonly PhaseDefinition[],
): Promise<string> {
  const row = await prisma.subtask.upsert({
    where: { workflowId },
    create: {
      projectId,
      key: spec.key,
      title: spec.title,
      description: spec.description,
      risk: spec.risk,
      workflowId,
      spec,
      checklistDone: 0,
      checklistTotal: phases.length + spec.acceptanceCriteria.length,
    },
    update: {},
    select: { id: true },
  });
  return row.id;
}

export async function readSubtaskState(client: Client, workflowId: string) {
  try {
    return await client.workflow.getHandle(workflowId).query(stateQuery);
  } catch (error) {
    throw asTrpcError(error, workflowId);
  }
}

/**
 * Runs an update and turns the workflow's refusal into an answer that says what is wrong. An update
 * that arrived while the workflow's task was failed by the server (an activity finished meanwhile:
 * UnhandledCommand) was not applied, and Temporal says so with FAILED_PRECONDITION: it is sent again,
 * under the same update id.
 */
export async function sendUpdate<T>(workflowId: string, send: (updateId: string) => Promise<T>): Promise<T> {
  // One id for every try: should a try that seemed lost have been accepted after all, Temporal
  // answers the next with that update's result instead of applying it twice.
  const updateId = randomUUID();
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await send(updateId);
    } catch (error) {
      if (attempt < UPDATE_ATTEMPTS && lostInFailedWorkflowTask(error)) {
        await sleep(100 * attempt);
        continue;
      }
      throw asTrpcError(error, workflowId);
    }
  }
}

const UPDATE_ATTEMPTS = 4;

function lostInFailedWorkflowTask(error: unknown): boolean {
  for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
    if (
      (cause as { code?: number }).code === GRPC_FAILED_PRECONDITION &&
      /unexpected workflow task failure/i.test(cause.message)
    )
      return true;
  }
  return false;
}

function asTrpcError(error: unknown, workflowId: string): TRPCError {
  if (error instanceof WorkflowUpdateFailedError) {
    const cause = error.cause instanceof ApplicationFailure ? error.cause : undefined;
    return new TRPCError({
      code: cause?.type === 'InvalidInput' ? 'BAD_REQUEST' : 'PRECONDITION_FAILED',
      message: cause?.message ?? error.message,
    });
  }
  const message = (error as Error).message ?? String(error);
  // Also when it finished while the update was on its way (the server aborts the update).
  if (/already completed|completed before the update|update was aborted/i.test(message)) {
    return new TRPCError({
      code: 'PRECONDITION_FAILED',
      message: `${workflowId} has finished: nothing more can be sent to it.`,
    });
  }
  if (error instanceof WorkflowNotFoundError || (error as { code?: number }).code === GRPC_NOT_FOUND) {
    return new TRPCError({ code: 'NOT_FOUND', message: `No subtask ${workflowId}: start it first.` });
  }
  return new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message, cause: error });
}
