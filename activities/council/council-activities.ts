import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { z } from 'zod';
import type { ChecklistItem } from '../../domain/checklist.js';
import type { ModelChoice } from '../../domain/models.js';
import { phaseCommitMessage } from '../../domain/naming.js';
import type { PhaseName } from '../../domain/phases.js';
import type { SubtaskSpec } from '../../domain/subtask-spec.js';
import { projectRoot } from '../../runtime/project-root.js';
import { type AgentRunResult, cut, recoveredRun, runAgentInWorktree } from '../agents/agent-run.js';
import { modelKeyEnvNames } from '../agents/agent-work.js';
import { type Question, askModel } from '../agents/ask-model.js';
import { type CommandSandbox, runCommand } from '../commands/run-command.js';
import { noNetworkHint, projectCommandSandbox } from '../commands/sandbox.js';
import type { SuiteConfig } from '../../domain/project.js';
import {
  changedLines,
  ensureDetachedWorktree,
  git,
  headCommit,
  keepRef,
  resetWorktree,
  treeOf,
} from '../../git/git.js';
import { type ActivityDeps, subtaskFolder, worktreeFolder } from '../subtask/deps.js';

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
    async proposeCandidate(input: ProposeInput): Promise<Proposal> {
      const context = Context.current();
      const member = input.model.id.replace(/[^\w.-]/g, '_');
      const worktree = worktreeFolder(
        config,
        input.project,
        `council/${input.councilId.replace(/[^\w.-]/g, '_')}/${member}`,
      );
      await ensureDetachedWorktree(input.repoPath, worktree, input.startSha);
      const tag = `${input.councilId}/${input.model.id}`;
      const head = await headCommit(worktree);
      const proposal =
        head.sha !== input.startSha && head.message.includes(`Maestro-Candidate: ${tag}`)
          ? recoveredRun(head.sha, head.message)
          : await (async () => {
              await resetWorktree(worktree, input.startSha);
              if (input.installCommand)
                await installIn(
                  worktree,
                  input.installCommand,
                  path.join(subtaskFolder(config, input.subtaskWorkflowId), 'logs', `council-${member}-install.log`),
                  config,
                  await projectCommandSandbox({ config, prisma }, input.projectId, 'install'),
                );
              const diff = input.lastSha
                ? await git(worktree, ['diff', '--no-color', input.startSha, input.lastSha])
                : undefined;
              return runAgentInWorktree({ config, prisma }, context, {
                subtaskId: input.subtaskId,
                projectId: input.projectId,
                spec: input.spec,
                phase: input.phase,
                role: input.role,
                goal: input.goal,
                attempt: input.failedAttempts + 1,
                worktree,
                territory: input.territory,
                suites: input.suites,
                model: input.model,
                checklist: input.checklist,
                prompt: {
                  failure: { ...input.failure, output: input.failure.outputTail },
                  diff: diff ? cut(diff, DIFF_CHARS) : undefined,
                  guidance: input.guidance,
                  council: { members: input.members, failedAttempts: input.failedAttempts },
                },
                logDir: path.join(subtaskFolder(config, input.subtaskWorkflowId), 'logs'),
                logLabel: `${input.phase}-council-${member}-${context.info.attempt}`,
                ledger: { workflowId: input.councilId, purpose: 'council', role: `council:${input.model.id}` },
                spendCap: { workflowId: input.councilId, usd: input.maxCostUsd },
                commit: {
                  message: `${phaseCommitMessage(input.phase, input.spec.key, input.spec.title, input.role)} — council candidate of ${input.model.id}`,
                  trailers: { 'Maestro-Candidate': tag },
                  identity: { name: `Maestro council (${input.model.id})`, email: 'council@maestro.local' },
                },
              });
            })();
      // Kept under a ref of its own: every candidate stays there to be looked at.
      await keepRef(
        input.repoPath,
        `refs/maestro/council/${input.councilId.replace(/[^\w.-]/g, '_')}/${member}`,
        proposal.sha,
      );
      return {
        ...proposal,
        model: input.model.id,
        worktree,
        diffLines: await changedLines(input.repoPath, input.startSha, proposal.sha),
        treeSha: await treeOf(input.repoPath, proposal.sha),
      };
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

/** The project's install command in a fresh candidate worktree (its tests need the dependencies). */
async function installIn(
  worktree: string,
  command: string,
  logFile: string,
  config: ActivityDeps['config'],
  sandbox: CommandSandbox,
): Promise<void> {
  const context = Context.current();
  const install = await runCommand({
    command,
    cwd: worktree,
    logFile,
    sandbox,
    limits: config.commands,
    secretEnvNames: modelKeyEnvNames(config),
    signal: context.cancellationSignal,
    onProgress: (progress: object) => context.heartbeat({ label: 'install', ...progress }),
  });
  if (install.outcome !== 'exited' || install.exitCode !== 0) {
    throw ApplicationFailure.nonRetryable(
      `\`${command}\` failed in the candidate's worktree (${install.outcome}, exit ${install.exitCode})${noNetworkHint(sandbox)}: ${install.outputTail.slice(-500)}`,
      'InstallFailed',
    );
  }
}
