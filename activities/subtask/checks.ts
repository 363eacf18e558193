import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { z } from 'zod';
import {
  type Baseline,
  type CheckPurpose,
  type CheckVerdict,
  type ReusedRun,
  type SuiteRun,
  baselineSentence,
  countsOf,
  evaluateCheck,
} from '../../domain/checks.js';
import { citedFiles, judgeCriteria, verdictsOfCommit } from '../../domain/evidence.js';
import type { CheckKind, PhaseName, SuiteName } from '../../domain/phases.js';
import type { SuiteConfig } from '../../domain/project.js';
import { runSuites } from '../commands/suites.js';
import { keptRunsFolder } from '../commands/reusable-runs.js';
import { projectReusePolicyOf } from '../../data/projects.js';
import { runCommand } from '../commands/run-command.js';
import { noNetworkHint, projectCommandSandbox } from '../commands/sandbox.js';
import { git, gitRaw, resetWorktree } from '../../git/git.js';
import { recordCheckRun } from '../../data/check-runs.js';
import { recordProgress } from '../../data/progress.js';
import { type ActivityDeps, modelKeyEnvNames, subtaskFolder } from './deps.js';

export interface RunReference {
  suite: SuiteName;
  command: string;
  outcome: SuiteRun['outcome'];
  exitCode: number | null;
  durationMs: number;
  /** Counted by the report, else by the runner's summary; undefined when nothing counted them. */
  passed?: number;
  failed?: number;
  /** Where the counts come from: `report`, or the runner whose summary was read. */
  countedBy?: string;
  logFile: string;
  /** The result of an earlier run of the same command on the same files, taken instead of running. */
  reused?: ReusedRun;
}

export interface CheckResult extends CheckVerdict {
  runs: RunReference[];
  /** The end of the failing output, for the next attempt's prompt (2,000 characters at most). */
  outputTail: string;
}

export interface BaselineResult {
  file: string;
  /** Tests the report named as passing and failing (0 without a report: see `sentence`). */
  passing: number;
  failing: number;
  /**
   * What the base branch's tests look like, counted by the report or the runner's summary, or said
   * to be uncounted (results recorded before it was kept have none).
   */
  sentence?: string;
  runs: RunReference[];
}

export interface CheckInput {
  workflowId: string;
  subtaskId: string;
  projectId: string;
  phase: PhaseName;
  attempt: number;
  purpose: CheckPurpose;
  kind: Exclude<CheckKind, 'merge'>;
  suite: SuiteName;
  worktree: string;
  sha: string;
  suites: SuiteConfig[];
  baselineFile: string;
}

/** The runner's work: the project's commands, with hang detection, and what their results mean. */
export function createCheckActivities({ config, prisma }: Pick<ActivityDeps, 'config' | 'prisma'>) {
  const limits = config.commands;

  const heartbeatingOptions = (workflowId: string, subtaskId: string, projectId: string, label: string) => {
    const context = Context.current();
    return {
      limits,
      secretEnvNames: modelKeyEnvNames(config),
      signal: context.cancellationSignal,
      onProgress: (progress: object) => context.heartbeat({ label, ...progress }),
      onWarning: (message: string) =>
        void recordProgress(prisma, {
          subtaskId,
          projectId,
          workflowId,
          key: `${workflowId}/warning/${context.info.activityId}/${context.info.attempt}/${Date.now()}`,
          at: Date.now(),
          events: [{ actor: 'runner', kind: 'command.warning', message }],
        }).catch(() => undefined),
    };
  };

  /**
   * The verify phase's verdicts (the `Maestro-Criteria` trailer of the commit checked) judged by
   * their evidence: every acceptance criterion must be shown met by tests on the branch that passed.
   */
  const withEvidence = async (
    suiteVerdict: CheckVerdict,
    input: CheckInput,
    runs: SuiteRun[],
  ): Promise<CheckVerdict> => {
    const row = await prisma.subtask.findUnique({ where: { id: input.subtaskId }, select: { spec: true } });
    const criteria = SpecCriteria.safeParse(row?.spec);
    if (!criteria.success) return suiteVerdict; // a subtask the read model does not know: nothing to judge against
    const message = await git(input.worktree, ['log', '-1', '--format=%B', input.sha]);
    const read = verdictsOfCommit(message);
    if (read.problem)
      return { ...suiteVerdict, passed: false, reason: `${read.problem}: give one verdict per criterion` };
    const verdicts = read.verdicts ?? [];
    const files = new Map<string, string | undefined>();
    for (const file of citedFiles(verdicts)) files.set(file, await fileAt(input.worktree, input.sha, file));
    const judged = judgeCriteria(criteria.data.acceptanceCriteria, verdicts, files, runs);
    return {
      ...suiteVerdict,
      passed: judged.passed,
      reason: judged.passed ? `${suiteVerdict.reason}; ${judged.reason}` : judged.reason,
    };
  };

  return {
    /** Installs the project and records which tests pass on the base branch, before any agent acts. */
    async runBaseline(input: {
      workflowId: string;
      subtaskId: string;
      projectId: string;
      worktree: string;
      installCommand?: string;
      suites: SuiteConfig[];
    }): Promise<BaselineResult> {
      const folder = subtaskFolder(config, input.workflowId);
      const logDir = path.join(folder, 'logs');
      const options = heartbeatingOptions(input.workflowId, input.subtaskId, input.projectId, 'baseline');
      if (input.installCommand) {
        const sandbox = await projectCommandSandbox({ config, prisma }, input.projectId, 'install');
        const install = await runCommand({
          command: input.installCommand,
          cwd: input.worktree,
          logFile: path.join(logDir, 'install.log'),
          sandbox,
          ...options,
        });
        if (install.outcome !== 'exited' || install.exitCode !== 0) {
          throw new Error(
            `\`${input.installCommand}\` failed (${install.outcome}, exit ${install.exitCode})${noNetworkHint(sandbox)}: ${install.outputTail.slice(-500)}`,
          );
        }
      }
      const startedAt = new Date();
      const runs = await runSuites({
        suites: input.suites,
        cwd: input.worktree,
        logDir,
        label: 'baseline',
        sandbox: await projectCommandSandbox({ config, prisma }, input.projectId, 'test'),
        ...options,
        reuse: {
          folder: keptRunsFolder(logDir),
          source: 'the baseline',
          lookUp: false,
          policy: await projectReusePolicyOf(prisma, input.projectId),
        },
      });
      const baseline: Baseline = { passing: {}, failing: {} };
      for (const run of runs) {
        if (!run.tests) continue;
        baseline.passing[run.suite] = run.tests.filter((test) => test.status === 'passed').map((test) => test.name);
        baseline.failing[run.suite] = run.tests.filter((test) => test.status === 'failed').map((test) => test.name);
      }
      mkdirSync(folder, { recursive: true });
      const file = path.join(folder, 'baseline.json');
      writeFileSync(file, JSON.stringify(baseline, null, 2));
      const sentence = baselineSentence(runs);
      await recordCheckRun(prisma, {
        ...runIdentity(input),
        phase: 'setup',
        attempt: 1,
        kind: 'baseline',
        ...(await commitOf(input.worktree, 'HEAD')),
        passed: runs.every((run) => run.outcome === 'exited'),
        reason: `baseline: ${sentence}`,
        runs,
        startedAt,
        finishedAt: new Date(),
      });
      return {
        file,
        passing: Object.values(baseline.passing).flat().length,
        failing: Object.values(baseline.failing).flat().length,
        sentence,
        runs: runs.map(reference),
      };
    },

    /** Runs the suites on a commit and judges them by the phase's rule. */
    async runCheck(input: CheckInput): Promise<CheckResult> {
      await resetWorktree(input.worktree, input.sha);
      const baseline = JSON.parse(readFileSync(input.baselineFile, 'utf8')) as Baseline;
      const startedAt = new Date();
      const logDir = path.join(subtaskFolder(config, input.workflowId), 'logs');
      const runs = await runSuites({
        suites: input.suites,
        cwd: input.worktree,
        logDir,
        label: `${input.phase}-${input.attempt}-${Context.current().info.activityId}`,
        sandbox: await projectCommandSandbox({ config, prisma }, input.projectId, 'test'),
        ...heartbeatingOptions(input.workflowId, input.subtaskId, input.projectId, `check ${input.phase}`),
        reuse: {
          folder: keptRunsFolder(logDir),
          source: `the ${input.phase} check (attempt ${input.attempt})`,
          lookUp: true,
          policy: await projectReusePolicyOf(prisma, input.projectId),
          // A failing result is reused only within its attempt: a retry or a rebase's verification runs again.
          attempt: input.purpose === 'attempt' ? `${input.phase}/${input.attempt}` : undefined,
        },
      });
      const suiteVerdict = withReuseSaid(evaluateCheck(input.kind, runs, baseline, input.suite), runs);
      const verdict =
        suiteVerdict.passed && judgesCriteria(input) ? await withEvidence(suiteVerdict, input, runs) : suiteVerdict;
      const failing = runs.find((run) => run.exitCode !== 0 || run.outcome !== 'exited') ?? runs.at(-1);
      await recordCheckRun(prisma, {
        ...runIdentity(input),
        phase: input.phase,
        attempt: input.attempt,
        kind: input.kind,
        ...(await commitOf(input.worktree, input.sha)),
        passed: verdict.passed,
        reason: verdict.reason,
        runs,
        startedAt,
        finishedAt: new Date(),
      });
      return { ...verdict, runs: runs.map(reference), outputTail: (failing?.outputTail ?? '').slice(-2_000) };
    },
  };
}

/** A check that took earlier results says so, in the reason the timeline shows. */
function withReuseSaid(verdict: CheckVerdict, runs: readonly SuiteRun[]): CheckVerdict {
  const reused = runs.filter((run) => run.reused);
  if (reused.length === 0) return verdict;
  const said = reused
    .map((run) => `${run.suite}: the result of ${run.reused!.source} at ${run.reused!.ranAt.slice(11, 19)} UTC`)
    .join('; ');
  return { ...verdict, reason: `${verdict.reason} (not run again, the same files were tested: ${said})` };
}

const SpecCriteria = z.object({ acceptanceCriteria: z.array(z.string()) });

/**
 * A commit of the verify phase is judged by its criteria too: an agent's attempt or a council's
 * candidate or winner (not the branch verified again after a rebase, whose verdicts were judged).
 */
function judgesCriteria(input: CheckInput): boolean {
  return input.phase === 'verify' && input.kind === 'suite_passes' && input.purpose !== 'rebase';
}

/** A file's content at a commit, or undefined when the commit has no such file. */
async function fileAt(worktree: string, sha: string, file: string): Promise<string | undefined> {
  const result = await gitRaw(worktree, ['cat-file', 'blob', `${sha}:${file}`]);
  return result.exitCode === 0 ? result.stdout : undefined;
}

/** Who ran this check, and a key that is the same when the activity's write is retried, not when the tests are. */
function runIdentity(input: { workflowId: string; subtaskId: string; projectId: string }) {
  const info = Context.current().info;
  return {
    workflowId: input.workflowId,
    subtaskId: input.subtaskId,
    projectId: input.projectId,
    key: `${input.workflowId}/${info.workflowExecution?.runId ?? 'run'}/${info.activityId}/${info.attempt}`,
  };
}

async function commitOf(worktree: string, ref: string): Promise<{ sha: string; treeSha: string }> {
  const [sha, treeSha] = (await git(worktree, ['rev-parse', `${ref}^{commit}`, `${ref}^{tree}`])).split('\n');
  return { sha: sha!, treeSha: treeSha! };
}

function reference(run: SuiteRun): RunReference {
  const counts = countsOf(run);
  return {
    suite: run.suite,
    command: run.command,
    outcome: run.outcome,
    exitCode: run.exitCode,
    durationMs: run.durationMs,
    passed: counts?.passed,
    failed: counts?.failed,
    countedBy: counts?.from,
    logFile: run.logFile,
    ...(run.reused ? { reused: run.reused } : {}),
  };
}

export type CheckActivities = ReturnType<typeof createCheckActivities>;
