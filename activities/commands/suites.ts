import { rmSync } from 'node:fs';
import path from 'node:path';
import { type SuiteName, type SuiteRun, describeRun } from '../../domain/checks.js';
import { type SuiteConfig, reportPaths } from '../../domain/project.js';
import {
  type CommandLimits,
  type CommandProgress,
  type CommandSandbox,
  DEFAULT_COMMAND_LIMITS,
  runCommand,
} from './run-command.js';
import { type ReuseOptions, keepRun, keptRun, mayReuse, runKey } from './reusable-runs.js';
import { readRunnerSummaryFromLog } from './runner-summary.js';
import { projectCommandEnvironment } from '../../runtime/child-env.js';
import { readTestReport } from './test-report.js';

export interface RunSuitesOptions {
  suites: readonly SuiteConfig[];
  cwd: string;
  /** Each suite's full output goes to `<logDir>/<label>-<suite>.log`. */
  logDir: string;
  label: string;
  limits?: Partial<CommandLimits>;
  /** The sandbox of the test commands (`projectCommandSandbox(…, 'test')`). */
  sandbox: CommandSandbox;
  secretEnvNames?: readonly string[];
  signal?: AbortSignal;
  onWarning?(message: string): void;
  onProgress?(progress: CommandProgress & { suite: SuiteName }): void;
  /** Keep each run's result by what it read, and (for checks) take a kept result instead of running. */
  reuse?: ReuseOptions;
}

/**
 * Runs each suite's command in turn and reads its report (a stale report never counts); without a
 * report, the counts of the runner's own summary.
 */
export async function runSuites(options: RunSuitesOptions): Promise<SuiteRun[]> {
  const runs: SuiteRun[] = [];
  const limits = { ...DEFAULT_COMMAND_LIMITS, ...options.limits };
  const reuse = options.reuse && mayReuse(options.reuse.policy, options.sandbox) ? options.reuse : undefined;
  for (const config of options.suites) {
    const reportFile = config.report ? path.join(options.cwd, config.report.path) : undefined;
    if (reportFile) rmSync(reportFile, { force: true });
    const surroundings = reuse && {
      cwd: options.cwd,
      suite: config,
      limits,
      sandbox: options.sandbox,
      env: projectCommandEnvironment(process.env, options.secretEnvNames),
      // What the runs write and the next one removes first: not something a run reads.
      reports: reportPaths(options.suites),
    };
    const key = surroundings && (await runKey(surroundings));
    const kept = key && reuse.lookUp ? keptRun(reuse.folder, key, reuse.attempt) : undefined;
    if (kept) {
      runs.push(kept);
      continue;
    }
    const ranAt = new Date();
    const result = await runCommand({
      command: config.command,
      cwd: options.cwd,
      logFile: path.join(options.logDir, `${options.label}-${config.suite}.log`),
      limits: options.limits,
      sandbox: options.sandbox,
      secretEnvNames: options.secretEnvNames,
      signal: options.signal,
      onWarning: options.onWarning,
      onProgress: (progress) => options.onProgress?.({ ...progress, suite: config.suite }),
    });
    const tests = config.report && reportFile ? readTestReport(config.report, reportFile) : undefined;
    const summary =
      !tests && result.outcome === 'exited' ? readRunnerSummaryFromLog(result.logFile, config.command) : undefined;
    runs.push({
      suite: config.suite,
      command: config.command,
      exitCode: result.exitCode,
      outcome: result.outcome,
      tests,
      ...(summary ? { summary } : {}),
      limits: { silenceKillMs: limits.silenceKillMs, maxDurationMs: limits.maxDurationMs },
      durationMs: result.durationMs,
      outputTail: result.outputTail,
      logFile: result.logFile,
    });
    if (surroundings && key) {
      if ((await runKey(surroundings)) === key)
        keepRun(reuse.folder, key, runs.at(-1)!, { source: reuse.source, ranAt, attempt: reuse.attempt });
    }
    if (options.signal?.aborted) break;
  }
  return runs;
}

/**
 * A short account of test runs for an agent or a person: each suite's counts (or why it was stopped,
 * in the check's own words), what failed, and the end of the output.
 */
export function describeRuns(runs: readonly SuiteRun[], tailChars = 1_500): string {
  return runs
    .map((run) => {
      const failed = (run.tests ?? []).filter((test) => test.status === 'failed').map((test) => test.name);
      return [
        `## ${run.suite}: ${describeRun(run)}`,
        failed.length > 0 ? `Failing: ${failed.slice(0, 20).join('; ')}` : '',
        '```',
        run.outputTail.slice(-tailChars),
        '```',
      ]
        .filter(Boolean)
        .join('\n');
    })
    .join('\n\n');
}
