import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ModelChoice } from '../../domain/models.js';
import type { PhaseName } from '../../domain/phases.js';
import { StrategicGuidance } from '../../domain/review-guidance.js';
import type { SubtaskSpec } from '../../domain/subtask-spec.js';
import { cut } from '../agents/agent-run.js';
import { type Question, askModel } from '../agents/ask-model.js';
import { briefingSection, buildBriefing } from '../../data/briefing.js';
import { promptFile } from '../council/council-activities.js';
import { git } from '../../git/git.js';
import type { ActivityDeps } from './deps.js';

export interface ReviewInput {
  workflowId: string;
  subtaskId: string;
  projectId: string;
  spec: SubtaskSpec;
  phase: PhaseName;
  role: 'tester' | 'developer';
  goal: string;
  worktree: string;
  startSha: string;
  /** The failed attempts, oldest first. */
  failures: Array<{ attempt: number; reason: string; failingTests: string[]; outputTail: string; sha?: string }>;
  model: ModelChoice;
}

const DIFF_CHARS = 6_000;

/** The failure type of a review whose answer was no guidance (empty, or the model declining). */
const NO_GUIDANCE = 'NoGuidance';

/**
 * Tier 2 of the ladder: the strategic model reads the failures, the last diff and the tests, and
 * writes guidance. An answer that is empty or only declines is no guidance: the activity fails (not
 * retried: the call is paid), and the ladder goes on up as when the review fails.
 */
export function createReviewActivities({ config, prisma }: Pick<ActivityDeps, 'config' | 'prisma'>) {
  /** The review's question: the failures, the last attempt's diff, the tests, the briefing. */
  async function reviewQuestion(input: ReviewInput): Promise<Question> {
    const last = input.failures.at(-1);
    const diff = last?.sha ? await git(input.worktree, ['diff', '--no-color', input.startSha, last.sha]) : '';
    const briefing = await buildBriefing(prisma, input.subtaskId, { phase: input.phase, worktree: input.worktree });
    const prompt = [
      `Maestro agent — role: orchestrator, phase: ${input.phase}, subtask: ${input.spec.key}, attempt: ${input.failures.length}`,
      '',
      // Keys repeat across projects: the project names which subtask this is.
      `# Subtask ${input.spec.key} of the project "${input.spec.project}": ${input.spec.title}`,
      input.spec.description,
      '## Acceptance criteria',
      ...input.spec.acceptanceCriteria.map((criterion, index) => `${index + 1}. ${criterion}`),
      `## The goal of ${input.phase}`,
      input.goal,
      '## The failed attempts',
      ...input.failures.flatMap((failure) => [
        `### Attempt ${failure.attempt}: ${failure.reason}`,
        ...(failure.failingTests.length > 0 ? [`Failing: ${failure.failingTests.join('; ')}`] : []),
        '```',
        failure.outputTail,
        '```',
      ]),
      ...(diff ? ['## The last attempt’s change', '```diff', cut(diff, DIFF_CHARS), '```'] : []),
      briefingSection(briefing, { maxChars: 20_000 }),
    ].join('\n');
    return {
      choice: input.model,
      system: promptFile('review')
        .replaceAll('{{role}}', input.role)
        .replaceAll('{{key}}', input.spec.key)
        .replaceAll('{{project}}', input.spec.project)
        .replaceAll('{{phase}}', input.phase)
        .replaceAll('{{attempts}}', String(input.failures.length)),
      prompt,
      meta: {
        projectId: input.projectId,
        subtaskId: input.subtaskId,
        workflowId: input.workflowId,
        role: 'orchestrator',
        phase: input.phase,
        purpose: 'strategic',
      },
    };
  }

  return {
    /** The review's question, for the workflow to ask on the strategic model's queue (`askModelStep`). */
    async prepareStrategicReview(input: ReviewInput): Promise<Question & { timeoutMs: number }> {
      return { ...(await reviewQuestion(input)), timeoutMs: config.models.callTimeoutMs };
    },

    /** The review asked and read in one activity: how histories recorded before `prepareStrategicReview` ran. */
    async strategicReview(input: ReviewInput): Promise<{ guidance: string; model: string; costUsd: string }> {
      const answer = await askModel({ config, prisma }, Context.current(), await reviewQuestion(input));
      const guidance = StrategicGuidance.safeParse(answer.text);
      if (!guidance.success)
        throw ApplicationFailure.nonRetryable(
          `${input.model.id} gave no guidance: ${guidance.error.issues[0]!.message}`,
          NO_GUIDANCE,
        );
      return {
        guidance: cut(guidance.data, 4_000),
        model: input.model.id,
        costUsd: answer.costUsd,
      };
    },
  };
}

export type ReviewActivities = ReturnType<typeof createReviewActivities>;
