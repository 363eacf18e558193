import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { z } from 'zod';
import type { ChecklistItem } from '../../domain/checklist.js';
import type { ModelChoice } from '../../domain/models.js';
import type { PhaseName } from '../../domain/phases.js';
import type { SubtaskSpec } from '../../domain/subtask-spec.js';
import { projectRoot } from '../../runtime/project-root.js';
import { type AgentRunResult, cut, recoveredRun, runAgentInWorktree } from '../agents/agent-run.js';
import { type Question, askModel } from '../agents/ask-model.js';
import type { SuiteConfig } from '../../domain/project.js';
import { git, headCommit, resetWorktree } from '../../git/git.js';
import { type ActivityDeps, subtaskFolder } from '../subtask/deps.js';
import {
  type MemberRunInput,
  candidateCommit,
  candidateLedger,
  candidateLogLabel,
  candidateTag,
  ensureCandidateWorktree,
  installCandidateDependencies,
  keepCandidate,
} from './council-member.js';

export interface ProposeInput {
  /** The council's workflow id. */
  councilId: string;
  subtaskWorkflowId: string;
  subtaskId: string;
  projectId: string;
  project: string;
  repoPath: string;
  spec: SubtaskSpec;
  phase: PhaseName;
  role: 'tester' | 'developer';
  goal: string;
  /** Where the phase started: every candidate starts there too. */
  startSha: string;
  territory: string[];
  suites: SuiteConfig[];
  /** The project's install command: a fresh candidate worktree has no dependencies yet. */
  installCommand?: string;
  model: ModelChoice;
  checklist: ChecklistItem[];
  failure: { reason: string; failingTests: string[]; outputTail: string };
  /** The last failed attempt's commit: its diff shows what did not work. */
  lastSha?: string;
  guidance?: string;
  members: number;
  failedAttempts: number;
  maxCostUsd: number;
}

export interface Proposal extends AgentRunResult {
  model: string;
  worktree: string;
  diffLines: number;
  treeSha: string;
}

export interface JudgeInput {
  councilId: string;
  subtaskId: string;
  projectId: string;
  spec: SubtaskSpec;
  phase: PhaseName;
  repoPath: string;
  startSha: string;
  judge: ModelChoice;
  candidates: Array<{
    model: string;
    sha: string;
    summary: string;
    passedCheck: boolean;
    testsPassed: number;
    testsFailed: number;
    confidence?: number;
  }>;
}

const JudgeAnswer = z.object({
  scores: z.array(
    z.object({
      candidate: z.string(),
      correctness: z.number().min(0).max(10),
      reasoning: z.number().min(0).max(10),
      tests: z.number().min(0).max(10),
      confidence: z.number().min(0).max(10),
      why: z.string().optional(),
    }),
  ),
});

const DIFF_CHARS = 6_000;

/** The council's work: each member's candidate in a worktree of its own, and the judge's scores. */
export function createCouncilActivities({ config, prisma }: Pick<ActivityDeps, 'config' | 'prisma'>) {
  return {
    /**
     * A member's candidate made and committed in one activity: how histories recorded before each
     * member ran as an agent-run workflow (`keepCouncilCandidate` after it) asked for one.
     */
    async proposeCandidate(input: ProposeInput): Promise<Proposal> {
      const context = Context.current();
      const member: MemberRunInput = {
        workflowId: input.subtaskWorkflowId,
        subtaskId: input.subtaskId,
        projectId: input.projectId,
        spec: input.spec,
        phase: input.phase,
        role: input.role,
        goal: input.goal,
        attempt: input.failedAttempts + 1,
        worktree: '',
        startSha: input.startSha,
        territory: input.territory,
        suites: input.suites,
        model: input.model,
        checklist: input.checklist,
        context: {},
        council: {
          councilId: input.councilId,
          repoPath: input.repoPath,
          project: input.project,
          installCommand: input.installCommand,
          members: input.members,
          failedAttempts: input.failedAttempts,
          maxCostUsd: input.maxCostUsd,
        },
      };
      const worktree = await ensureCandidateWorktree(config, member);
      const tag = candidateTag(input.councilId, input.model.id);
      const head = await headCommit(worktree);
      const proposal =
        head.sha !== input.startSha && head.message.includes(`Maestro-Candidate: ${tag}`)
          ? recoveredRun(head.sha, head.message)
          : await (async () => {
              await resetWorktree(worktree, input.startSha);
              await installCandidateDependencies({ config, prisma }, member, worktree);
              const diff = input.lastSha
                ? await git(worktree, ['diff', '--no-color', input.startSha, input.lastSha])
                : undefined;
              return runAgentInWorktree({ config, prisma }, context, {
                ...member,
                worktree,
                prompt: {
                  failure: { ...input.failure, output: input.failure.outputTail },
                  diff: diff ? cut(diff, DIFF_CHARS) : undefined,
                  guidance: input.guidance,
                  council: { members: input.members, failedAttempts: input.failedAttempts },
                },
                logDir: path.join(subtaskFolder(config, input.subtaskWorkflowId), 'logs'),
                logLabel: candidateLogLabel(member, String(context.info.attempt)),
                ledger: candidateLedger(member),
                spendCap: { workflowId: input.councilId, usd: input.maxCostUsd },
                commit: candidateCommit(member),
              });
            })();
      return {
        ...proposal,
        model: input.model.id,
        ...(await keepCandidate(config, {
          repoPath: input.repoPath,
          project: input.project,
          councilId: input.councilId,
          model: input.model.id,
          startSha: input.startSha,
          sha: proposal.sha,
        })),
      };
    },

    /** A member's committed candidate (its agent run's result) kept under its ref, and measured for the judge. */
    async keepCouncilCandidate(
      input: Parameters<typeof keepCandidate>[1],
    ): Promise<{ worktree: string; diffLines: number; treeSha: string }> {
      return keepCandidate(config, input);
    },

    /** The judge's question, for the council workflow to ask on the judge's queue (`askModelStep`). */
    async prepareJudging(input: JudgeInput): Promise<Question & { timeoutMs: number }> {
      return { ...(await judgeQuestion(input)), timeoutMs: config.models.callTimeoutMs };
    },

    /** The judge's answer read: rubric scores per candidate model; an answer that is not them fails, not retried. */
    async readJudgeScores(input: { text: string; candidates: string[] }): Promise<{ scores: JudgeScores }> {
      return { scores: judgeScoresOf(input.text, input.candidates) };
    },

    /** The judge asked and read in one activity: how histories recorded before `prepareJudging` ran. */
    async judgeCandidates(input: JudgeInput): Promise<{ scores: JudgeScores; costUsd: string }> {
      const answer = await askModel({ config, prisma }, Context.current(), await judgeQuestion(input));
      return {
        scores: judgeScoresOf(
          answer.text,
          input.candidates.map((candidate) => candidate.model),
        ),
        costUsd: answer.costUsd,
      };
    },
  };

  /** The judge of `best_reasoning`: rubric scores per candidate (named by letter, so the models stay anonymous). */
  async function judgeQuestion(input: JudgeInput): Promise<Question> {
    const letters = input.candidates.map((_, index) => String.fromCharCode(65 + index));
    const parts = [
      `Maestro agent — role: judge, phase: ${input.phase}, subtask: ${input.spec.key}, attempt: 1`,
      '',
      `# Subtask ${input.spec.key}: ${input.spec.title}`,
      input.spec.description,
      '## Acceptance criteria',
      ...input.spec.acceptanceCriteria.map((criterion, index) => `${index + 1}. ${criterion}`),
    ];
    for (const [index, candidate] of input.candidates.entries()) {
      const diff = await git(input.repoPath, ['diff', '--no-color', input.startSha, candidate.sha]);
      parts.push(
        `## Candidate ${letters[index]}`,
        `Tests: ${candidate.testsPassed} pass, ${candidate.testsFailed} fail; the phase's check ${candidate.passedCheck ? 'passes' : 'fails'}.${candidate.confidence !== undefined ? ` Its stated confidence: ${candidate.confidence}%.` : ''}`,
        `Its account: ${candidate.summary}`,
        '```diff',
        cut(diff, DIFF_CHARS),
        '```',
      );
    }
    return {
      choice: input.judge,
      system: promptFile('judge'),
      prompt: parts.join('\n'),
      meta: {
        projectId: input.projectId,
        subtaskId: input.subtaskId,
        workflowId: input.councilId,
        role: 'judge',
        phase: input.phase,
        purpose: 'judge',
      },
    };
  }
}

type JudgeScores = Record<
  string,
  { correctness: number; reasoning: number; tests: number; confidence: number; why?: string }
>;

/** The scores of the judge's answer, by candidate model (the candidates in the order they were lettered). */
function judgeScoresOf(text: string, candidates: readonly string[]): JudgeScores {
  const letters = candidates.map((_, index) => String.fromCharCode(65 + index));
  const json = /\{[\s\S]*\}/.exec(text)?.[0];
  const parsed = JudgeAnswer.safeParse(json ? safeJson(json) : undefined);
  if (!parsed.success)
    throw ApplicationFailure.nonRetryable(
      `The judge's answer is not the scores asked for: ${cut(text, 200)}`,
      'JudgeFailure',
    );
  const scores: JudgeScores = {};
  for (const entry of parsed.data.scores) {
    const index = letters.indexOf(entry.candidate.trim().toUpperCase());
    if (index >= 0)
      scores[candidates[index]!] = {
        correctness: entry.correctness,
        reasoning: entry.reasoning,
        tests: entry.tests,
        confidence: entry.confidence,
        why: entry.why,
      };
  }
  return scores;
}

export type CouncilActivities = ReturnType<typeof createCouncilActivities>;

const prompts = new Map<string, string>();
export function promptFile(name: string): string {
  let text = prompts.get(name);
  if (text === undefined) {
    text = readFileSync(path.join(projectRoot(), 'activities', 'agents', 'prompts', `${name}.md`), 'utf8');
    prompts.set(name, text);
  }
  return text;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
