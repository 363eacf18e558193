import { ApplicationFailure, type Context } from '@temporalio/activity';
import type { ChecklistItem } from '../../domain/checklist.js';
import { type CriterionVerdict, verdictsOfCommit } from '../../domain/evidence.js';
import { type ModelChoice, promptBudgetOf } from '../../domain/models.js';
import { formatUsd, formatUsdExact, parseUsd } from '../../domain/money.js';
import type { PhaseName, Role } from '../../domain/phases.js';
import type { SubtaskSpec } from '../../domain/subtask-spec.js';
import { AGENT_FAILURE_TYPES } from '../../domain/agent-failure.js';
import type { LoadedConfig } from '../../runtime/config.js';
import type { SuiteConfig } from '../../domain/project.js';
import type { GitIdentity } from '../../git/git.js';
import { createMeteredModel } from '../models/metered-model.js';
import { temporalTransport } from '../models/model-transport.js';
import { budgetStatus, workflowSpend } from '../../data/costs.js';
import type { PrismaClient } from '../../data/prisma.js';
import type { PromptContext } from './prompts.js';
import type { PrunedItem } from './pruning.js';
import { type AgentStep, runAgentLoop, runTextAgent } from './run-agent.js';
import { classifyRunFailure } from './run-failure.js';
import { createAgentTools } from './tools.js';
import { agentPrompts, applyTextAnswer, commitAgentWork, runAgentTests } from './agent-work.js';
import { forgetKeptRunsIfIgnored, keptRunsFolder } from '../commands/reusable-runs.js';

/** One agent's run in a worktree, whatever it is for: a phase attempt, or a council member's candidate. */
export interface AgentRunInput {
  subtaskId: string;
  projectId: string;
  spec: SubtaskSpec;
  phase: PhaseName;
  role: Exclude<Role, 'orchestrator'>;
  goal: string;
  attempt: number;
  worktree: string;
  territory: string[];
  suites: SuiteConfig[];
  model: ModelChoice;
  checklist: ChecklistItem[];
  prompt: PromptContext;
  /** Where its test runs' logs go. */
  logDir: string;
  logLabel: string;
  /** What its model calls are charged as, in the ledger. */
  ledger: { workflowId: string; purpose: 'agent' | 'council'; role: string };
  /** Stops the run once the calls charged to this workflow cost this much (a council's cap). */
  spendCap?: { workflowId: string; usd: number };
  commit: { message: string; trailers: Record<string, string>; identity: GitIdentity };
}

export interface AgentRunResult {
  sha: string;
  summary: string;
  /** Verify phase: the verdict on each acceptance criterion, with the tests cited as its evidence. */
  criteria?: CriterionVerdict[];
  steps: number;
  filesWritten: string[];
  /** Files changed outside the role's territory, put back before the commit. */
  reverted: string[];
  /** Files in the territory that the agent did not write (a command did) or that are test reports: put back too. */
  leftOut: string[];
  /** What this run's model calls cost (exact, twelve decimals), and how many there were. */
  costUsd: string;
  calls: number;
  /** What was cut from the prompt to fit the model's budget. */
  pruned: PrunedItem[];
  /** How sure the agent said it is (0–100), when it said. */
  confidence?: number;
}

const HEARTBEAT_MS = 1_000;
const BUDGET_WATCH_MS = 5_000;

/**
 * The agent works in the worktree (already at its start), and its work is committed with the given
 * message and trailers. Fails with the types of AGENT_FAILURE_TYPES: the agent's own failure, the
 * provider's, or a budget stop (the emergency tier, or the spend cap).
 */
export async function runAgentInWorktree(
  { config, prisma }: { config: LoadedConfig; prisma: PrismaClient },
  context: Context,
  input: AgentRunInput,
): Promise<AgentRunResult> {
  const choice = input.model;
  const textMode = !choice.toolCalling;
  // The gateway writes each call into the ledger; these ids find this run's calls there.
  const callIds: string[] = [];
  const { model, takeTiming } = createMeteredModel({
    choice,
    transport: temporalTransport(context.client, (callId) => callIds.push(callId)),
    meta: {
      projectId: input.projectId,
      subtaskId: input.subtaskId,
      workflowId: input.ledger.workflowId,
      role: input.ledger.role,
      phase: input.phase,
      purpose: input.ledger.purpose,
    },
    timeoutMs: config.models.callTimeoutMs,
  });
  const prompts = await agentPrompts({ prisma }, input);

  // The emergency tier (and a council's cap) stop a run between (and during) its calls, whoever spent it.
  const stop = new AbortController();
  const signal = AbortSignal.any([context.cancellationSignal, stop.signal]);
  const watchBudget = async () => {
    if (stop.signal.aborted) return;
    const status = await budgetStatus(prisma, input.projectId, config.budgets);
    if (status.tier === 'emergency') {
      stop.abort(
        new BudgetStopError(
          `the project spent ${formatUsd(parseUsd(status.spentUsd))}, at or over its emergency limit of ${formatUsd(parseUsd(status.limits.emergencyUsd))}`,
        ),
      );
      return;
    }
    if (input.spendCap) {
      const spent = await workflowSpend(prisma, input.spendCap.workflowId);
      if (spent >= parseUsd(input.spendCap.usd))
        stop.abort(
          new BudgetStopError(
            `the council spent ${formatUsd(spent)}, at or over its cap of ${formatUsd(parseUsd(input.spendCap.usd))}`,
          ),
        );
    }
  };
  const recordStep = async (step: AgentStep) => {
    context.heartbeat({
      phase: input.phase,
      step: step.index,
      inputTokens: step.inputTokens,
      outputTokens: step.outputTokens,
    });
    await watchBudget();
  };
  await watchBudget();

  const filesWritten = new Set<string>();
  let testRuns = 0;
  const tools = createAgentTools({
    worktree: input.worktree,
    role: input.role,
    territory: input.territory,
    onWrite: (file) => {
      // A file written where the run's key may not look (deep in an ignored folder): no kept run holds.
      forgetKeptRunsIfIgnored(keptRunsFolder(input.logDir), input.worktree, file);
      filesWritten.add(file);
    },
    runTests: () =>
      runAgentTests({ config, prisma }, input, `${input.logLabel}-agent-${++testRuns}`, signal, (progress) =>
        context.heartbeat({ running: 'tests', ...progress }),
      ),
  });

  const heartbeat = setInterval(
    () => context.heartbeat({ phase: input.phase, filesWritten: filesWritten.size }),
    HEARTBEAT_MS,
  );
  // Another subtask can push the project over while this one waits on a long call.
  const budgetWatch = setInterval(() => void watchBudget().catch(() => undefined), BUDGET_WATCH_MS);
  const common = {
    model,
    takeTiming,
    system: prompts.system,
    task: prompts.task,
    signal,
    promptBudgetTokens: promptBudgetOf(choice),
    maxOutputTokens: choice.maxOutputTokens,
    onStep: recordStep,
  };
  let outcome: {
    finished: boolean;
    finish?: { summary: string; criteria?: AgentRunResult['criteria']; confidence?: number };
    text: string;
    steps: number;
    pruned: PrunedItem[];
  };
  try {
    if (textMode) {
      const answer = await runTextAgent(common);
      const parsed = applyTextAnswer(answer.text, input, filesWritten);
      outcome = {
        finished: true,
        finish: { summary: parsed.summary, criteria: parsed.criteria },
        text: answer.text,
        steps: 1,
        pruned: [],
      };
    } else {
      outcome = await runAgentLoop({ ...common, tools, maxSteps: config.models.maxSteps });
    }
  } catch (error) {
    if (context.cancellationSignal.aborted) throw error;
    if (stop.signal.aborted)
      throw ApplicationFailure.nonRetryable(
        `Stopped: ${(stop.signal.reason as Error).message}.`,
        AGENT_FAILURE_TYPES.budget,
      );
    // The agent's own failure (an answer that cannot be used) is already said; anything else that is
    // not the model's is left to Temporal's retries (a database or file system hiccup).
    if (error instanceof ApplicationFailure) throw error;
    throw classifyRunFailure(error, choice.id) ?? error;
  } finally {
    clearInterval(heartbeat);
    clearInterval(budgetWatch);
  }

  const cost = await ledgerOfCalls(prisma, callIds);
  if (!outcome.finished) {
    throw ApplicationFailure.nonRetryable(
      outcome.steps >= config.models.maxSteps
        ? `The agent did not finish within ${config.models.maxSteps} steps.`
        : `The agent stopped without calling finish${outcome.text ? `: ${cut(outcome.text, 300)}` : ''}.`,
      AGENT_FAILURE_TYPES.agent,
    );
  }
  const committed = await commitAgentWork({ prisma }, context, input, { filesWritten, finish: outcome.finish! });
  return {
    ...committed,
    steps: outcome.steps,
    costUsd: formatUsdExact(cost.picos),
    calls: cost.calls,
    pruned: outcome.pruned,
  };
}

/** A run that committed before its worker died: its commit message still says what it did. */
export function recoveredRun(sha: string, message: string): AgentRunResult {
  const body = message.split('\n\n').slice(1).join('\n\n');
  const summary = body.replace(/\n?Maestro-[\w-]+: .*$/gm, '').trim();
  const confidenceLine = /^Maestro-Confidence: (.*)$/m.exec(message)?.[1];
  return {
    sha,
    summary,
    criteria: verdictsOfCommit(message).verdicts,
    steps: 0,
    filesWritten: [],
    reverted: [],
    leftOut: [],
    costUsd: formatUsdExact(0n),
    calls: 0,
    pruned: [],
    confidence:
      confidenceLine !== undefined && Number.isFinite(Number(confidenceLine)) ? Number(confidenceLine) : undefined,
  };
}

class BudgetStopError extends Error {}

/** What this run's calls cost, as the gateway charged them. */
async function ledgerOfCalls(prisma: PrismaClient, callIds: string[]): Promise<{ picos: bigint; calls: number }> {
  if (callIds.length === 0) return { picos: 0n, calls: 0 };
  const sum = await prisma.modelCall.aggregate({
    where: { idempotencyKey: { in: callIds.map((id) => `gateway/${id}`) }, outcome: 'ok' },
    _sum: { costUsd: true },
    _count: { _all: true },
  });
  return { picos: sum._sum.costUsd ? parseUsd(sum._sum.costUsd.toFixed(12)) : 0n, calls: sum._count._all };
}

export function cut(text: string, chars: number): string {
  return text.length > chars ? `${text.slice(0, chars)}\n[… cut at ${chars} characters]` : text;
}
