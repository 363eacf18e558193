import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ApplicationFailure, type Context } from '@temporalio/activity';
import type { CriterionVerdict } from '../../domain/evidence.js';
import { promptBudgetOf } from '../../domain/models.js';
import { AGENT_FAILURE_TYPES } from '../../domain/agent-failure.js';
import { secretEnvNames } from '../../domain/secret-env.js';
import type { LoadedConfig } from '../../runtime/config.js';
import { describeRuns, runSuites } from '../commands/suites.js';
import { forgetKeptRunsIfIgnored, keptRunsFolder } from '../commands/reusable-runs.js';
import { projectReusePolicyOf } from '../../data/projects.js';
import { projectCommandSandbox } from '../commands/sandbox.js';
import { commitAll } from '../../git/git.js';
import type { PrismaClient } from '../../data/prisma.js';
import { briefingSection, buildBriefing } from '../../data/briefing.js';
import { describePaths } from '../../git/commit-selection.js';
import { TerritoryError, resolveForWrite, worktreeRelative } from '../../git/territory.js';
import type { AgentRunInput, AgentRunResult } from './agent-run.js';
import { leaveOutOfCommit, recordLeftOut } from './left-out.js';
import { OutputFormatError, parseModelOutput } from './output-parser.js';
import { buildPrompts } from './prompts.js';

/*
 * The worktree's side of an agent's run, whichever shape it runs in (one activity, or the
 * agent-run workflow's steps): its prompt, its tests, its text answer, its commit.
 */

/** The system prompt and the task of an agent's run, with its briefing; a model without tools gets whole files. */
export async function agentPrompts(
  { prisma }: { prisma: PrismaClient },
  input: Pick<
    AgentRunInput,
    | 'subtaskId'
    | 'phase'
    | 'attempt'
    | 'checklist'
    | 'worktree'
    | 'model'
    | 'role'
    | 'goal'
    | 'spec'
    | 'territory'
    | 'prompt'
  >,
): Promise<{ system: string; task: string; textMode: boolean }> {
  const textMode = !input.model.toolCalling;
  const briefing = await buildBriefing(
    prisma,
    input.subtaskId,
    { phase: input.phase, attempt: input.attempt, checklist: input.checklist, worktree: input.worktree },
    textMode ? { snippetLines: 2_000, maxFiles: 12 } : {},
  );
  const prompts = buildPrompts({
    role: input.role,
    phase: input.phase,
    attempt: input.attempt,
    goal: input.goal,
    spec: input.spec,
    territory: input.territory,
    textMode,
    // About four characters a token: the files may take half of the prompt's budget.
    briefing: briefingSection(briefing, { fullFiles: textMode, maxChars: promptBudgetOf(input.model) * 2 }),
    context: input.prompt,
  });
  return { system: prompts.system, task: prompts.task, textMode };
}

/** The agent's `run_tests`: the project's suites in the worktree, in the project's sandbox, without secrets. */
export async function runAgentTests(
  { config, prisma }: { config: LoadedConfig; prisma: PrismaClient },
  input: Pick<AgentRunInput, 'suites' | 'worktree' | 'logDir' | 'projectId' | 'phase' | 'attempt'>,
  label: string,
  signal: AbortSignal,
  onProgress: (progress: object) => void,
): Promise<string> {
  return describeRuns(
    await runSuites({
      suites: input.suites,
      cwd: input.worktree,
      logDir: input.logDir,
      label,
      limits: config.commands,
      sandbox: await projectCommandSandbox({ config, prisma }, input.projectId, 'test'),
      secretEnvNames: modelKeyEnvNames(config),
      signal,
      onProgress,
      // Kept for the check after it: the agent's own runs always run (it may be looking for a flaky test).
      reuse: {
        folder: keptRunsFolder(input.logDir),
        source: `the agent's run_tests (${input.phase}, attempt ${input.attempt})`,
        lookUp: false,
        policy: await projectReusePolicyOf(prisma, input.projectId),
        attempt: `${input.phase}/${input.attempt}`,
      },
    }),
  );
}

type CommittedWork = Pick<
  AgentRunResult,
  'sha' | 'summary' | 'criteria' | 'filesWritten' | 'reverted' | 'leftOut' | 'confidence'
>;

/**
 * The agent's work, committed: only what it wrote through its tools, in its territory; the rest is
 * put back and logged. Its account (summary, verdicts, confidence) goes into the commit's message.
 */
export async function commitAgentWork(
  { prisma }: { prisma: PrismaClient },
  context: Context,
  input: Pick<
    AgentRunInput,
    'worktree' | 'territory' | 'suites' | 'commit' | 'subtaskId' | 'projectId' | 'ledger' | 'role' | 'phase' | 'attempt'
  >,
  work: { filesWritten: Set<string>; finish: { summary: string; criteria?: CriterionVerdict[]; confidence?: number } },
): Promise<CommittedWork> {
  const { summary, criteria, confidence } = work.finish;
  const trailers: Record<string, string> = { ...input.commit.trailers };
  if (criteria) trailers['Maestro-Criteria'] = JSON.stringify(criteria);
  if (confidence !== undefined) trailers['Maestro-Confidence'] = String(confidence);
  const { leftOut, outside, generated } = await leaveOutOfCommit(input.worktree, {
    written: work.filesWritten,
    territory: input.territory,
    suites: input.suites,
  });
  if (outside.length > 0) trailers['Maestro-Reverted'] = outside.join(', ');
  if (generated.length > 0) trailers['Maestro-Left-Out'] = describePaths(generated);
  const sha = await commitAll(input.worktree, `${input.commit.message}\n\n${summary}`, trailers, input.commit.identity);
  if (generated.length > 0) await recordLeftOut(prisma, context, input, sha, leftOut);
  return {
    sha,
    summary,
    criteria,
    filesWritten: [...work.filesWritten].sort(),
    reverted: outside,
    leftOut: generated,
    confidence,
  };
}

/** Every secret variable this configuration names: kept from the commands the agents run. */
export function modelKeyEnvNames(config: LoadedConfig): string[] {
  return [...secretEnvNames(config.models)];
}

/**
 * The files of a text answer, written under the same territory rules as the write_file tool. A
 * malformed answer fails the attempt with a reason the next attempt reads.
 */
export function applyTextAnswer(
  text: string,
  input: Pick<AgentRunInput, 'worktree' | 'role' | 'territory' | 'phase' | 'logDir'>,
  filesWritten: Set<string>,
) {
  let parsed;
  try {
    parsed = parseModelOutput(text);
  } catch (error) {
    if (error instanceof OutputFormatError)
      throw ApplicationFailure.nonRetryable(
        `The answer could not be used: ${error.message}`,
        AGENT_FAILURE_TYPES.agent,
      );
    throw error;
  }
  if (parsed.files.length === 0 && input.phase !== 'verify' && input.phase !== 'refactor') {
    throw ApplicationFailure.nonRetryable(
      'The answer could not be used: it has no file blocks; give one fenced block per file you create or change, with its path after the opening fence.',
      AGENT_FAILURE_TYPES.agent,
    );
  }
  const targets = parsed.files.map((file) => {
    try {
      return { absolute: resolveForWrite(input.worktree, file.path, input.role, input.territory), file };
    } catch (error) {
      if (error instanceof TerritoryError)
        throw ApplicationFailure.nonRetryable(
          `The answer could not be used: ${error.message}`,
          AGENT_FAILURE_TYPES.agent,
        );
      throw error;
    }
  });
  for (const { absolute, file } of targets) {
    mkdirSync(path.dirname(absolute), { recursive: true });
    writeFileSync(absolute, file.content);
    const written = worktreeRelative(input.worktree, absolute);
    forgetKeptRunsIfIgnored(keptRunsFolder(input.logDir), input.worktree, written);
    filesWritten.add(written);
  }
  return parsed;
}
