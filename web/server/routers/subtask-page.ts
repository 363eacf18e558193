import { type SubtaskStatus, isFinal } from '../../../domain/lifecycle.js';
import { tracked, TRPCError } from '@trpc/server';
import { z } from 'zod';
import { git, gitRaw } from '../../../git/git.js';
import { formatUsdExact, parseUsd } from '../../../domain/money.js';
import { describePhasePlan } from '../../../domain/phases.js';
import { redactUrl } from '../../../domain/redact.js';
import { ProjectName } from '../../../domain/project.js';
import { SubtaskKey } from '../../../domain/subtask-spec.js';
import { type SubtaskState, stateQuery } from '../../../workflows/subtask/subtask.shared.js';
import { availableActions, endedActions } from '../subtask-page/actions.js';
import { readCheckResults } from '../subtask-page/checks.js';
import { branchDiff } from '../subtask-page/diff.js';
import { followEvents } from '../event-log.js';
import { readTimeline } from '../subtask-page/timeline-reader.js';
import { readSubtaskState } from '../subtasks.js';
import { whileCredentialHolds } from '../auth/credential-watch.js';
import { type Context, callerOf, readProcedure } from '../trpc.js';

const SubtaskRef = z.strictObject({ project: ProjectName, key: SubtaskKey });
type SubtaskRef = z.infer<typeof SubtaskRef>;

async function findSubtask(ctx: Context, ref: SubtaskRef) {
  const row = await ctx.prisma.subtask.findFirst({
    where: { key: ref.key, project: { name: ref.project } },
    include: { project: { select: { id: true, name: true, repoPath: true, repoUrl: true, baseBranch: true } } },
  });
  if (!row)
    throw new TRPCError({
      code: 'NOT_FOUND',
      message: `No subtask ${ref.key} in project ${ref.project}: check the key on the board.`,
    });
  return row;
}

/** The live state, or why it cannot be read: the page still shows what the database knows. */
async function liveState(ctx: Context, workflowId: string): Promise<{ state: SubtaskState | null; error?: string }> {
  try {
    return { state: await readSubtaskState(ctx.temporal.client, workflowId) };
  } catch (error) {
    return { state: null, error: (error as Error).message };
  }
}

function temporalUrl(ctx: Context, workflowId: string): string | null {
  const base = ctx.temporal.uiUrl;
  return base
    ? `${base.replace(/\/$/, '')}/namespaces/${encodeURIComponent(ctx.temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}`
    : null;
}

/** The subtask page's read procedures, merged into the `subtask` router. */
export const subtaskPageProcedures = {
  /** Everything the page's header and checklist show: the registry row, the live state, spend, the open gate or escalation, the Temporal UI link. */
  detail: readProcedure.input(SubtaskRef).query(async ({ ctx, input }) => {
    const row = await findSubtask(ctx, input);
    const [live, spend, approval, escalation] = await Promise.all([
      liveState(ctx, row.workflowId),
      ctx.prisma.modelCall.aggregate({ where: { subtaskId: row.id }, _sum: { costUsd: true }, _count: true }),
      ctx.prisma.approval.findFirst({
        where: { subtaskId: row.id, status: 'pending' },
        orderBy: { requestedAt: 'desc' },
        select: { id: true, gate: true, requestedAt: true },
      }),
      ctx.prisma.escalation.findFirst({
        where: { subtaskId: row.id, status: 'open' },
        orderBy: { createdAt: 'desc' },
        select: {
          id: true,
          phase: true,
          tier: true,
          reason: true,
          options: true,
          recommendedOption: true,
          createdAt: true,
          reminders: true,
        },
      }),
    ]);
    const spec = row.spec as { acceptanceCriteria?: string[]; filesInScope?: string[]; dependencies?: string[] };
    return {
      subtask: {
        id: row.id,
        project: row.project.name,
        key: row.key,
        title: row.title,
        description: row.description,
        risk: row.risk,
        status: row.status,
        phase: row.phase,
        attempt: row.attempt,
        branch: row.branch,
        workflowId: row.workflowId,
        acceptanceCriteria: spec.acceptanceCriteria ?? [],
        filesInScope: spec.filesInScope ?? [],
        dependencies: spec.dependencies ?? [],
        complexity: row.complexity,
        routing: row.routing as { level?: string; reason?: string; hardStop?: string[] } | null,
        progress: row.checklistTotal ? { done: row.checklistDone ?? 0, total: row.checklistTotal } : null,
        createdAt: row.createdAt.toISOString(),
        startedAt: row.startedAt?.toISOString() ?? null,
        updatedAt: row.updatedAt.toISOString(),
        completedAt: row.completedAt?.toISOString() ?? null,
      },
      project: {
        name: row.project.name,
        baseBranch: row.project.baseBranch,
        repository: redactUrl(row.project.repoUrl ?? row.project.repoPath),
      },
      live: live.state,
      liveError: live.error ?? null,
      /** Which phases the subtask runs and why the others are left out (from its workflow). */
      phases: live.state?.phasePlan
        ? { ...live.state.phasePlan, summary: describePhasePlan(live.state.phasePlan, 'subtask') }
        : null,
      cost: { totalUsd: formatUsdExact(parseUsd(spend._sum.costUsd?.toFixed(12) ?? '0')), calls: spend._count },
      pendingApproval: approval && { ...approval, requestedAt: approval.requestedAt.toISOString() },
      openEscalation: escalation && {
        ...escalation,
        createdAt: escalation.createdAt.toISOString(),
        options: escalation.options as Array<{ id: string; label: string; detail?: string }>,
      },
      temporalUrl: temporalUrl(ctx, row.workflowId),
    };
  }),

  /** When each phase and check started and ended, attempts, and who acted: from the workflow's real history. */
  timeline: readProcedure.input(SubtaskRef).query(async ({ ctx, input }) => {
    const row = await findSubtask(ctx, input);
    try {
      return await readTimeline(ctx.temporal.client, row.workflowId);
    } catch (error) {
      const message = (error as Error).message;
      if (/not found/i.test(message))
        throw new TRPCError({
          code: 'NOT_FOUND',
          message: `Temporal has no workflow ${row.workflowId} (its history may have passed the namespace's retention).`,
        });
      throw new TRPCError({
        code: 'INTERNAL_SERVER_ERROR',
        message: `Could not read the history of ${row.workflowId} from Temporal: ${message.split('\n')[0]}`,
        cause: error,
      });
    }
  }),

  /** The branch against where it started, from the real repository: unified diff text and the files with their additions and deletions. */
  diff: readProcedure.input(SubtaskRef).query(async ({ ctx, input }) => {
    const row = await findSubtask(ctx, input);
    if (!row.branch)
      return {
        ready: false as const,
        message: 'No branch yet: the workspace is created when the subtask starts its first phase.',
      };
    const repo = row.project.repoPath;
    const baseSha = await findBaseSha(ctx, row.workflowId, row.id, repo, row.project.baseBranch, row.branch);
    try {
      return { ready: true as const, ...(await branchDiff(repo, row.branch, baseSha)) };
    } catch (error) {
      throw new TRPCError({
        code: 'INTERNAL_SERVER_ERROR',
        message: `Could not read the diff of ${row.branch} in ${repo}: ${(error as Error).message}`,
        cause: error,
      });
    }
  }),

  /** Every check's test results — passed and failed names, durations, output tail — with flaky tests flagged. */
  checks: readProcedure.input(SubtaskRef).query(async ({ ctx, input }) => {
    const row = await findSubtask(ctx, input);
    return readCheckResults(ctx.prisma, row.id);
  }),

  /** The model calls of the subtask from the cost ledger, oldest first, with the totals. */
  modelCalls: readProcedure
    .input(SubtaskRef.extend({ limit: z.int().min(1).max(2_000).default(500) }))
    .query(async ({ ctx, input }) => {
      const row = await findSubtask(ctx, input);
      const [calls, totals] = await Promise.all([
        ctx.prisma.modelCall.findMany({
          where: { subtaskId: row.id },
          orderBy: { occurredAt: 'asc' },
          take: input.limit,
          select: {
            id: true,
            occurredAt: true,
            role: true,
            phase: true,
            purpose: true,
            provider: true,
            model: true,
            inputTokens: true,
            outputTokens: true,
            cachedTokens: true,
            estimated: true,
            costUsd: true,
            latencyMs: true,
            outcome: true,
            error: true,
          },
        }),
        ctx.prisma.modelCall.aggregate({
          where: { subtaskId: row.id },
          _sum: { costUsd: true, inputTokens: true, outputTokens: true },
          _count: true,
        }),
      ]);
      return {
        calls: calls.map((call) => ({
          ...call,
          occurredAt: call.occurredAt.toISOString(),
          costUsd: call.costUsd.toFixed(12),
          error: call.error?.slice(0, 500) ?? null,
        })),
        total: {
          calls: totals._count,
          costUsd: formatUsdExact(parseUsd(totals._sum.costUsd?.toFixed(12) ?? '0')),
          inputTokens: totals._sum.inputTokens ?? 0,
          outputTokens: totals._sum.outputTokens ?? 0,
        },
        truncated: totals._count > calls.length,
      };
    }),

  /** What the workflow accepts right now, for the page's buttons; the mutations approve, reject and override perform them. */
  actions: readProcedure.input(SubtaskRef).query(async ({ ctx, input }) => {
    const row = await findSubtask(ctx, input);
    if (isFinal(row.status as SubtaskStatus)) return endedActions(row.status as SubtaskStatus);
    const live = await liveState(ctx, row.workflowId);
    if (!live.state)
      return { actions: [], note: 'No buttons: the workflow cannot be asked what it accepts right now.' };
    return availableActions(live.state);
  }),

  /** The subtask's activity log over server-sent events: the newest `backlog` lines, then each new one as it is appended. */
  onEvents: readProcedure
    .input(
      SubtaskRef.extend({
        backlog: z.int().min(0).max(1_000).default(200),
        lastEventId: z
          .string()
          .regex(/^\d{1,19}$/, 'an event id')
          .nullish(),
      }),
    )
    .subscription(async function* ({ ctx, input, signal }) {
      const row = await findSubtask(ctx, input);
      yield* whileCredentialHolds(ctx.prisma, callerOf(ctx), signal, async function* (open) {
        for await (const event of followEvents(
          ctx.prisma,
          { subtaskId: row.id },
          { backlog: input.backlog, lastEventId: input.lastEventId, signal: open },
        )) {
          yield tracked(event.id, { ...event, data: smallData(event.data) });
        }
      });
    }),
};

/** Where the branch started: the live state's base (moved by a rebase), else the recorded one, else git's merge base. */
async function findBaseSha(
  ctx: Context,
  workflowId: string,
  subtaskId: string,
  repo: string,
  baseBranch: string,
  branch: string,
): Promise<string> {
  try {
    const state = await ctx.temporal.client.workflow.getHandle(workflowId).query(stateQuery);
    if (state.shas.base) return state.shas.base;
  } catch {
    // A finished workflow whose history is gone: the database and git still know.
  }
  const rows = await ctx.prisma.$queryRaw<Array<{ baseSha: string }>>`
    SELECT "data"->>'baseSha' AS "baseSha" FROM "ActivityEvent"
    WHERE "subtaskId" = ${subtaskId}::uuid AND "kind" = 'subtask.transition' AND "data" ? 'baseSha'
    ORDER BY "id" DESC LIMIT 1`;
  if (rows[0]?.baseSha && (await gitRaw(repo, ['cat-file', '-e', `${rows[0].baseSha}^{commit}`])).exitCode === 0)
    return rows[0].baseSha;
  return git(repo, ['merge-base', `refs/heads/${baseBranch}`, `refs/heads/${branch}`]);
}

const MAX_DATA_CHARS = 4_000;

/** A log line's details are sent along when they are small; large ones stay in the database. */
function smallData(data: unknown): unknown {
  return data === null || data === undefined || JSON.stringify(data).length > MAX_DATA_CHARS ? null : data;
}
