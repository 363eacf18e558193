import path from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { Prisma } from '../store/prisma.js';
import { phaseCommitMessage } from '../../domain/naming.js';
import type { PhaseName, Role } from '../../domain/phases.js';
import type { SubtaskSpec } from '../../domain/subtask-spec.js';
import { buildPrompts } from '../agents/prompts.js';
import { runAgentLoop } from '../agents/run-agent.js';
import { createAgentTools } from '../agents/tools.js';
import { type SuiteConfig, describeRuns, runSuites } from '../commands/suites.js';
import { commitAll, git, headCommit, resetWorktree, revertPaths, worktreeChanges } from '../git/git.js';
import { territoryMatcher } from '../agents/territory.js';
import { resolveModelEndpoint } from '../models/endpoint.js';
import { createMeteredModel } from '../models/metered-model.js';
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
  context: {
    failure?: { reason: string; failingTests: string[]; outputTail: string };
    /** The failed attempt's commit, whose diff the next attempt is shown. */
    previousSha?: string;
    reviewerComment?: string;
    hint?: string;
  };
}

export interface AgentPhaseResult {
  sha: string;
  summary: string;
  criteria?: Array<{ index: number; met: boolean; note?: string }>;
  steps: number;
  filesWritten: string[];
  /** Files changed outside the role's territory, put back before the commit. */
  reverted: string[];
}

const DIFF_CHARS = 8_000;
const HEARTBEAT_MS = 1_000;

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
      const identity = { name: `Maestro ${input.role}`, email: `${input.role}@maestro.local` };

      const head = await headCommit(input.worktree);
      if (head.sha !== input.startSha && head.message.includes(`Maestro-Attempt: ${attemptTag}`)) {
        return recovered(head.sha, head.message);
      }
      await resetWorktree(input.worktree, input.startSha);

      const endpoint = resolveModelEndpoint(config, process.env);
      if (!endpoint) {
        throw ApplicationFailure.nonRetryable('No model is configured: set MAESTRO_MODEL_BASE_URL (and its key) or OPENAI_API_KEY.', 'AgentFailure');
      }
      const { model, takeTiming } = createMeteredModel(endpoint);
      const diff = input.context.previousSha ? await git(input.worktree, ['diff', '--no-color', input.startSha, input.context.previousSha]) : undefined;
      const prompts = buildPrompts({
        role: input.role,
        phase: input.phase,
        attempt: input.attempt,
        goal: input.goal,
        spec: input.spec,
        territory: input.territory,
        context: {
          failure: input.context.failure && { ...input.context.failure, output: input.context.failure.outputTail },
          diff: diff ? cut(diff, DIFF_CHARS) : undefined,
          reviewerComment: input.context.reviewerComment,
          hint: input.context.hint,
        },
      });

      const filesWritten = new Set<string>();
      let testRuns = 0;
      const logDir = path.join(subtaskFolder(config, input.workflowId), 'logs');
      const tools = createAgentTools({
        worktree: input.worktree,
        role: input.role,
        territory: input.territory,
        onWrite: (file) => filesWritten.add(file),
        runTests: async () =>
          describeRuns(
            await runSuites({
              suites: input.suites,
              cwd: input.worktree,
              logDir,
              label: `${input.phase}-${input.attempt}-${context.info.activityId}-agent-${++testRuns}`,
              limits: config.commands,
              secretEnvNames: [config.models.apiKeyEnv],
              signal: context.cancellationSignal,
              onProgress: (progress) => context.heartbeat({ running: 'tests', ...progress }),
            }),
          ),
      });

      const heartbeat = setInterval(() => context.heartbeat({ phase: input.phase, filesWritten: filesWritten.size }), HEARTBEAT_MS);
      let outcome;
      try {
        outcome = await runAgentLoop({
          model,
          takeTiming,
          system: prompts.system,
          task: prompts.task,
          tools,
          maxSteps: config.models.maxSteps,
          signal: context.cancellationSignal,
          onStep: async (step) => {
            context.heartbeat({ phase: input.phase, step: step.index });
            await prisma.modelCall.createMany({
              data: [
                {
                  occurredAt: step.startedAt,
                  projectId: input.projectId,
                  subtaskId: input.subtaskId,
                  workflowId: input.workflowId,
                  role: input.role,
                  phase: input.phase,
                  provider: endpoint.provider,
                  model: step.modelId || endpoint.model,
                  inputTokens: step.inputTokens,
                  outputTokens: step.outputTokens,
                  cachedTokens: step.cachedTokens,
                  // Prices arrive with the model registry; until then calls are metered at zero cost.
                  costUsd: new Prisma.Decimal(0),
                  latencyMs: step.latencyMs,
                  idempotencyKey: `${attemptTag}/${context.info.attempt}/${step.index}`,
                },
              ],
              skipDuplicates: true,
            });
          },
        });
      } catch (error) {
        if (context.cancellationSignal.aborted) throw error;
        throw ApplicationFailure.nonRetryable(`The model call failed: ${(error as Error).message.split('\n')[0]}`, 'AgentFailure');
      } finally {
        clearInterval(heartbeat);
      }

      if (!outcome.finished) {
        throw ApplicationFailure.nonRetryable(
          outcome.steps >= config.models.maxSteps
            ? `The agent did not finish within ${config.models.maxSteps} steps.`
            : `The agent stopped without calling finish${outcome.text ? `: ${cut(outcome.text, 300)}` : ''}.`,
          'AgentFailure',
        );
      }
      const summary = outcome.finish!.summary;
      const criteria = outcome.finish!.criteria;
      const message = `${phaseCommitMessage(input.phase, input.spec.key, input.spec.title, input.role)}\n\n${summary}`;
      const trailers: Record<string, string> = { 'Maestro-Attempt': attemptTag };
      if (criteria) trailers['Maestro-Criteria'] = JSON.stringify(criteria);
      // Only the role's territory is committed: whatever else changed (files a test run wrote, say) is put back.
      const inTerritory = territoryMatcher(input.territory);
      const outside = (await worktreeChanges(input.worktree)).filter((change) => !inTerritory(change.path));
      await revertPaths(input.worktree, outside);
      if (outside.length > 0) trailers['Maestro-Reverted'] = outside.map((change) => change.path).join(', ');
      const sha = await commitAll(input.worktree, message, trailers, identity);
      return { sha, summary, criteria, steps: outcome.steps, filesWritten: [...filesWritten].sort(), reverted: outside.map((change) => change.path) };
    },
  };
}

/** A run that committed before its worker died: its commit message still says what it did. */
function recovered(sha: string, message: string): AgentPhaseResult {
  const body = message.split('\n\n').slice(1).join('\n\n');
  const summary = body.replace(/\n?Maestro-[\w-]+: .*$/gm, '').trim();
  const criteriaLine = /^Maestro-Criteria: (.*)$/m.exec(message)?.[1];
  return { sha, summary, criteria: criteriaLine ? (JSON.parse(criteriaLine) as AgentPhaseResult['criteria']) : undefined, steps: 0, filesWritten: [], reverted: [] };
}

function cut(text: string, chars: number): string {
  return text.length > chars ? `${text.slice(0, chars)}\n[… cut at ${chars} characters]` : text;
}

export type AgentActivities = ReturnType<typeof createAgentActivities>;
