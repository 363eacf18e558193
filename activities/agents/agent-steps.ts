import path from 'node:path';
import { Context } from '@temporalio/activity';
import type { ModelMessage } from 'ai';
import { promptBudgetOf } from '../../domain/models.js';
import { phaseCommitMessage } from '../../domain/naming.js';
import { headCommit, resetWorktree } from '../../git/git.js';
import { type AgentPhaseInput, phasePromptContext } from '../subtask/agent-phase.js';
import { type ActivityDeps, subtaskFolder } from '../subtask/deps.js';
import { type AgentRunResult, recoveredRun } from './agent-run.js';
import { agentPrompts, applyTextAnswer, commitAgentWork, runAgentTests } from './agent-work.js';
import { forgetKeptRunsIfIgnored, keptRunsFolder } from '../commands/reusable-runs.js';
import { type FinishInput, runAgentTool } from './tools.js';
import {
  type MemberRunInput,
  candidateCommit,
  candidateLedger,
  candidateLogLabel,
  candidateTag,
  ensureCandidateWorktree,
  installCandidateDependencies,
} from '../council/council-member.js';

/** What the agent-run workflow needs to start its loop, or the run itself when it had already committed. */
export type PreparedAgentRun =
  | { recovered: AgentRunResult }
  | {
      recovered?: undefined;
      /** The queue of the workers that hold this worktree: its tools and its commit run there. */
      hostQueue: string;
      system: string;
      messages: ModelMessage[];
      textMode: boolean;
      promptBudgetTokens: number;
      maxSteps: number;
      callTimeoutMs: number;
      /** A council member's own worktree, made here: its tools and its commit work there. */
      worktree?: string;
    };

export interface AgentRunRef {
  input: AgentPhaseInput;
  /** `<agent run's workflow id>/<run id>`: the commit's Maestro-Attempt trailer, stable across retries. */
  attemptTag: string;
}

export interface AgentToolInput extends AgentRunRef {
  name: string;
  args: unknown;
  /** How many times this run has called run_tests, this call included: names its logs. */
  testRun: number;
}

export interface AgentCommitInput extends AgentRunRef {
  filesWritten: string[];
  /** The finish call's input; for a model without tools, its answer (whose files are written first). */
  finish?: FinishInput;
  textAnswer?: string;
}

/**
 * The worktree's side of an agent's run, whose loop is the agent-run workflow: prepare (on the
 * role's queue), then every tool call and the commit on the queue of the host that holds the worktree.
 */
export function createAgentStepActivities(
  { config, prisma }: Pick<ActivityDeps, 'config' | 'prisma'>,
  hostQueue: string,
) {
  const logDirOf = (input: AgentPhaseInput) => path.join(subtaskFolder(config, input.workflowId), 'logs');
  // The run id's head tells this run's logs from another try of the same attempt.
  const labelOf = ({ input, attemptTag }: AgentRunRef) => {
    const head = attemptTag.split('/').at(-1)!.slice(0, 8);
    return isMemberRun(input) ? candidateLogLabel(input, head) : `${input.phase}-${input.attempt}-${head}`;
  };
  const commitOf = ({ input, attemptTag }: AgentRunRef) =>
    isMemberRun(input)
      ? candidateCommit(input)
      : {
          message: phaseCommitMessage(input.phase, input.spec.key, input.spec.title, input.role),
          trailers: { 'Maestro-Attempt': attemptTag },
          identity: { name: `Maestro ${input.role}`, email: `${input.role}@maestro.local` },
        };
  const ledgerOf = (input: AgentPhaseInput) =>
    isMemberRun(input)
      ? candidateLedger(input)
      : { workflowId: input.workflowId, purpose: 'agent' as const, role: input.role };
  /** The run's commit, when an earlier try of it got that far (a member's: of any run of its council's). */
  const alreadyCommitted = async ({ input, attemptTag }: AgentRunRef) => {
    const head = await headCommit(input.worktree);
    const trailer = isMemberRun(input)
      ? `Maestro-Candidate: ${candidateTag(input.council.councilId, input.model.id)}`
      : `Maestro-Attempt: ${attemptTag}`;
    return head.sha !== input.startSha && head.message.includes(trailer)
      ? recoveredRun(head.sha, head.message)
      : undefined;
  };

  return {
    async prepareAgentRun(ref: AgentRunRef): Promise<PreparedAgentRun> {
      return whileHeartbeating(() => prepare(ref));
    },

    async runAgentTool(call: AgentToolInput): Promise<{ output: string; wrote?: string }> {
      return whileHeartbeating(() => runTool(call));
    },

    async commitAgentRun(
      commit: AgentCommitInput,
    ): Promise<Omit<AgentRunResult, 'steps' | 'costUsd' | 'calls' | 'pruned'>> {
      return whileHeartbeating(() => commitRun(commit));
    },
  };

  async function prepare(ref: AgentRunRef): Promise<PreparedAgentRun> {
    const member = isMemberRun(ref.input) ? ref.input : undefined;
    const input = member ? { ...member, worktree: await ensureCandidateWorktree(config, member) } : ref.input;
    const recovered = await alreadyCommitted({ ...ref, input });
    if (recovered) return { recovered };
    await resetWorktree(input.worktree, input.startSha);
    if (member) await installCandidateDependencies({ config, prisma }, member, input.worktree);
    const context = await phasePromptContext(input);
    const prompts = await agentPrompts(
      { prisma },
      {
        ...input,
        prompt: member
          ? { ...context, council: { members: member.council.members, failedAttempts: member.council.failedAttempts } }
          : context,
      },
    );
    return {
      worktree: member ? input.worktree : undefined,
      hostQueue,
      system: prompts.system,
      messages: [{ role: 'user', content: prompts.task }],
      textMode: prompts.textMode,
      promptBudgetTokens: promptBudgetOf(input.model),
      maxSteps: config.models.maxSteps,
      callTimeoutMs: config.models.callTimeoutMs,
    };
  }

  async function runTool(call: AgentToolInput): Promise<{ output: string; wrote?: string }> {
    const context = Context.current();
    const { input } = call;
    let wrote: string | undefined;
    const output = await runAgentTool(
      {
        worktree: input.worktree,
        role: input.role,
        territory: input.territory,
        onWrite: (file) => {
          // A file written where a kept run's key may not look (deep in an ignored folder): none holds.
          forgetKeptRunsIfIgnored(keptRunsFolder(logDirOf(input)), input.worktree, file);
          wrote = file;
        },
        // A suite that could not run is the agent's to read, as any tool's refusal; a cancel goes on up.
        runTests: () =>
          runAgentTests(
            { config, prisma },
            { ...input, logDir: logDirOf(input) },
            `${labelOf(call)}-agent-${call.testRun}`,
            context.cancellationSignal,
            (progress) => context.heartbeat({ running: 'tests', ...progress }),
          ).catch((error: unknown) => {
            if (context.cancellationSignal.aborted) throw error;
            return `error: the tests could not run: ${(error as Error).message}`;
          }),
      },
      call.name,
      call.args,
    );
    return { output, wrote };
  }

  async function commitRun(
    commit: AgentCommitInput,
  ): Promise<Omit<AgentRunResult, 'steps' | 'costUsd' | 'calls' | 'pruned'>> {
    const context = Context.current();
    const recovered = await alreadyCommitted(commit);
    if (recovered) return recovered;
    const { input } = commit;
    const filesWritten = new Set(commit.filesWritten);
    let finish = commit.finish;
    if (commit.textAnswer !== undefined) {
      const parsed = applyTextAnswer(commit.textAnswer, { ...input, logDir: logDirOf(input) }, filesWritten);
      finish = { summary: parsed.summary, criteria: parsed.criteria };
    }
    return commitAgentWork(
      { prisma },
      context,
      { ...input, ledger: ledgerOf(input), commit: commitOf(commit) },
      { filesWritten, finish: finish! },
    );
  }
}

const HEARTBEAT_MS = 1_000;

function isMemberRun(input: AgentPhaseInput): input is MemberRunInput {
  return input.council !== undefined;
}

/** Heartbeats while the work runs: a big repository's briefing or commit outlasts no heartbeat timeout. */
async function whileHeartbeating<T>(work: () => Promise<T>): Promise<T> {
  const context = Context.current();
  const timer = setInterval(() => context.heartbeat(), HEARTBEAT_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

export type AgentStepActivities = ReturnType<typeof createAgentStepActivities>;
