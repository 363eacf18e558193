import path from 'node:path';
import { Context } from '@temporalio/activity';
import type { ChecklistItem } from '../../domain/checklist.js';
import type { ModelChoice } from '../../domain/models.js';
import { phaseCommitMessage } from '../../domain/naming.js';
import type { PhaseName, Role } from '../../domain/phases.js';
import type { SubtaskSpec } from '../../domain/subtask-spec.js';
import { type AgentRunResult, cut, recoveredRun, runAgentInWorktree } from '../agents/agent-run.js';
import type { PromptContext } from '../agents/prompts.js';
import type { SuiteConfig } from '../../domain/project.js';
import { git, headCommit, resetWorktree } from '../../git/git.js';
import { type ActivityDeps, subtaskFolder } from './deps.js';

export interface AgentPhaseInput {
  workflowId: string;
  subtaskId: string;
  projectId: string;
  spec: SubtaskSpec;
  phase: PhaseName;
  role: Exclude<Role, 'orchestrator'>;
  goal: string;
  attempt: number;
  worktree: string;
  /** Every attempt starts from this commit: the end of the previous phase. */
  startSha: string;
  territory: string[];
  suites: SuiteConfig[];
  /** The model the workflow routed this attempt to. */
  model: ModelChoice;
  /** The workflow's checklist, for the briefing. */
  checklist: ChecklistItem[];
  context: {
    failure?: { reason: string; failingTests: string[]; outputTail: string };
    /** The failed attempt's commit, whose diff the next attempt is shown. */
    previousSha?: string;
    reviewerComment?: string;
    hint?: string;
    /** A strategic review's guidance (the ladder's second tier). */
    guidance?: string;
  };
  /** A council member's run: its own worktree and commit, its calls charged to the council. */
  council?: CouncilMemberRun;
}

/** What makes an agent's run a council member's candidate rather than the subtask's attempt. */
export interface CouncilMemberRun {
  /** The council's workflow id: the member's calls are charged to it, and stop at its cap. */
  councilId: string;
  repoPath: string;
  project: string;
  /** The project's install command: a fresh candidate worktree has no dependencies yet. */
  installCommand?: string;
  members: number;
  failedAttempts: number;
  maxCostUsd: number;
}

export type AgentPhaseResult = AgentRunResult;

const DIFF_CHARS = 8_000;

/**
 * One agent phase: the agent works in the worktree from the phase's start commit, and its work is
 * committed as `[phase] key title (role)`. A retried run starts again from the same commit, and a run
 * that had already committed before its worker died is recognised, so no commit is ever doubled.
 */
export function createAgentActivities({ config, prisma }: Pick<ActivityDeps, 'config' | 'prisma'>) {
  return {
    async runAgentPhase(input: AgentPhaseInput): Promise<AgentPhaseResult> {
      const context = Context.current();
      // Unique per scheduled run (attempts restart after a reset or a retry) and stable across its retries.
      const attemptTag = `${input.workflowId}/${context.info.workflowExecution?.runId ?? '-'}/${context.info.activityId}`;
      const head = await headCommit(input.worktree);
      if (head.sha !== input.startSha && head.message.includes(`Maestro-Attempt: ${attemptTag}`))
        return recoveredRun(head.sha, head.message);
      await resetWorktree(input.worktree, input.startSha);

      return runAgentInWorktree({ config, prisma }, context, {
        ...input,
        prompt: await phasePromptContext(input),
        logDir: path.join(subtaskFolder(config, input.workflowId), 'logs'),
        logLabel: `${input.phase}-${input.attempt}-${context.info.activityId}`,
        ledger: { workflowId: input.workflowId, purpose: 'agent', role: input.role },
        commit: {
          message: phaseCommitMessage(input.phase, input.spec.key, input.spec.title, input.role),
          trailers: { 'Maestro-Attempt': attemptTag },
          identity: { name: `Maestro ${input.role}`, email: `${input.role}@maestro.local` },
        },
      });
    },
  };
}

export type AgentActivities = ReturnType<typeof createAgentActivities>;

/** What the attempt's prompt is told of the attempt before it: its failure and diff, a reviewer's or a person's words. */
export async function phasePromptContext(input: AgentPhaseInput): Promise<PromptContext> {
  const diff = input.context.previousSha
    ? await git(input.worktree, ['diff', '--no-color', input.startSha, input.context.previousSha])
    : undefined;
  return {
    failure: input.context.failure && { ...input.context.failure, output: input.context.failure.outputTail },
    diff: diff ? cut(diff, DIFF_CHARS) : undefined,
    reviewerComment: input.context.reviewerComment,
    hint: input.context.hint,
    guidance: input.context.guidance,
  };
}
