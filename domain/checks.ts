import type { CheckKind, SuiteName } from './phases.js';

export type { SuiteName };

/**
 * Why a check runs: a phase attempt's commit, a council candidate in its own worktree, the council's
 * winner once it is on the branch, or the branch verified again after a rebase onto a moved base.
 */
export const CHECK_PURPOSES = ['attempt', 'council_candidate', 'council_winner', 'rebase'] as const;
export type CheckPurpose = (typeof CHECK_PURPOSES)[number];

export interface TestCaseResult {
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  durationMs?: number;
}

/** The test runners whose own closing summary is read when a suite has no machine-readable report. */
export const TEST_RUNNERS = ['vitest', 'jest', 'mocha', 'uvu', 'node', 'tap', 'pytest', 'go'] as const;
export type TestRunner = (typeof TEST_RUNNERS)[number];

/** The counts read from a runner's own summary (its closing lines, or its lines counted one by one). */
export interface SummaryCounts {
  passed: number;
  failed: number;
  skipped: number;
  runner: TestRunner;
}

/** How many tests a run counted, and where the numbers come from: the project's report or the runner's summary. */
export interface TestCounts {
  passed: number;
  failed: number;
  skipped: number;
  from: 'report' | TestRunner;
}

/** The limits a command ran under, so a stop can say which one it was. */
export interface StopLimits {
  silenceKillMs: number;
  maxDurationMs: number;
}

/** One run of one suite's command, as the runner reports it. */
export interface SuiteRun {
  suite: SuiteName;
  command: string;
  exitCode: number | null;
  /** `exited`, or why the command was stopped. */
  outcome: 'exited' | 'killed_silent' | 'killed_max_duration' | 'cancelled' | 'failed_to_start';
  /** From the runner's machine-readable report, when the project has one. */
  tests?: TestCaseResult[];
  /** Without a report: the counts of the runner's own summary, when one was found. */
  summary?: SummaryCounts;
  /** The limits it ran under (runs recorded before they were kept have none). */
  limits?: StopLimits;
  durationMs: number;
  outputTail: string;
  logFile: string;
  /** Not run again: the result of an earlier run of the same command on the same tree (`reusable-runs.ts`). */
  reused?: ReusedRun;
}

/** Where a reused result comes from: which run (`run_tests of green, attempt 1`, a check) and when it ran. */
export interface ReusedRun {
  source: string;
  ranAt: string;
}

/** What the tests looked like on the base branch, before any agent acted. */
export interface Baseline {
  /** Tests that passed on the base branch, per suite; undefined when a suite has no report. */
  passing: Partial<Record<SuiteName, string[]>>;
  /** Tests already failing on the base branch: not this subtask's to fix, and not counted against it. */
  failing: Partial<Record<SuiteName, string[]>>;
}

export interface CheckVerdict {
  passed: boolean;
  reason: string;
  /** Failing tests, newest problem first; at most a few dozen, for prompts and people. */
  failingTests: string[];
  /** For red checks: the new tests that fail, the proof of red before green. */
  newFailingTests: string[];
}

const MAX_NAMES = 40;

function failuresOf(run: SuiteRun): string[] {
  return (run.tests ?? []).filter((test) => test.status === 'failed').map((test) => test.name);
}

function ranToTheEnd(run: SuiteRun): boolean {
  return run.outcome === 'exited';
}

/** Tests that passed on the base branch and are gone from a run that has a report: deleted or renamed. */
function missingTests(runs: readonly SuiteRun[], baseline: Baseline): string[] {
  return runs.flatMap((run) => {
    if (!run.tests || run.outcome !== 'exited') return [];
    const present = new Set(run.tests.map((test) => test.name));
    return (baseline.passing[run.suite] ?? []).filter((name) => !present.has(name));
  });
}

/** Every test of every suite passes (tests already failing on the base branch excepted). */
export function suitePasses(runs: readonly SuiteRun[], baseline: Baseline): CheckVerdict {
  const problems: string[] = [];
  const failing: string[] = [];
  const missing = missingTests(runs, baseline);
  if (missing.length > 0)
    problems.push(
      `tests that passed before are gone: ${list(missing)}; change tests only in a red phase, and never delete one`,
    );
  for (const run of runs) {
    const stopped = stopSentence(run);
    if (stopped) {
      problems.push(stopped);
      continue;
    }
    if (run.tests) {
      const known = new Set(baseline.failing[run.suite] ?? []);
      const failures = failuresOf(run).filter((name) => !known.has(name));
      failing.push(...failures);
      if (failures.length > 0) problems.push(`${failures.length} ${run.suite} test(s) fail: ${list(failures)}`);
      else if (run.exitCode !== 0 && (baseline.failing[run.suite] ?? []).length === 0) {
        problems.push(`\`${run.command}\` exited with ${run.exitCode} although no test failed`);
      }
    } else if (run.exitCode !== 0) {
      const counts = countsOf(run);
      problems.push(`\`${run.command}\` exited with ${run.exitCode}${counts ? `: ${describeCounts(counts)}` : ''}`);
    }
  }
  const uncounted = runs.some((run) => !run.tests);
  return {
    passed: problems.length === 0,
    reason:
      problems.length > 0
        ? problems.join('; ')
        : uncounted
          ? `the suites pass: ${runs.map(describeRun).join('; ')}`
          : 'every test passes',
    failingTests: failing.slice(0, MAX_NAMES),
    newFailingTests: [],
  };
}

/**
 * Red: tests that did not exist on the base branch fail in the phase's suite, and every test that
 * passed on the base branch still passes. Without a report only the exit codes can be read.
 */
export function newTestsFail(runs: readonly SuiteRun[], baseline: Baseline, suite: SuiteName): CheckVerdict {
  const target = runs.find((run) => run.suite === suite) ?? runs[0];
  if (!target) return { passed: false, reason: 'no test suite was run', failingTests: [], newFailingTests: [] };
  const stopped = runs.map((run) => stopSentence(run)).find(Boolean);
  if (stopped) return { passed: false, reason: stopped, failingTests: [], newFailingTests: [] };

  const broken: string[] = [];
  for (const run of runs) {
    const before = new Set(baseline.passing[run.suite] ?? []);
    broken.push(...failuresOf(run).filter((name) => before.has(name)));
  }
  const missing = missingTests(runs, baseline);
  if (missing.length > 0) {
    return {
      passed: false,
      reason: `tests that passed before are gone: ${list(missing)}; a red phase adds tests and removes none`,
      failingTests: [],
      newFailingTests: [],
    };
  }
  const existed = new Set([...(baseline.passing[target.suite] ?? []), ...(baseline.failing[target.suite] ?? [])]);
  const newFailing = failuresOf(target).filter((name) => !existed.has(name));
  const allFailing = runs.flatMap(failuresOf);

  if (broken.length > 0) {
    return {
      passed: false,
      reason: `tests that passed before now fail: ${list(broken)}; a red phase adds failing tests and breaks none`,
      failingTests: broken.slice(0, MAX_NAMES),
      newFailingTests: newFailing.slice(0, MAX_NAMES),
    };
  }
  if (target.tests) {
    if (newFailing.length === 0) {
      const newTests = target.tests.filter((test) => !existed.has(test.name)).map((test) => test.name);
      return {
        passed: false,
        reason:
          newTests.length > 0
            ? `the new tests already pass on the current code (${list(newTests)}): red tests must fail before the code exists`
            : `no new ${suite} test was found: write tests that fail on the current code`,
        failingTests: allFailing.slice(0, MAX_NAMES),
        newFailingTests: [],
      };
    }
    return {
      passed: true,
      reason: `${newFailing.length} new ${suite} test(s) fail as they should: ${list(newFailing)}`,
      failingTests: allFailing.slice(0, MAX_NAMES),
      newFailingTests: newFailing.slice(0, MAX_NAMES),
    };
  }
  // No report: the phase's suite must fail and every other suite pass.
  const others = runs.filter((run) => run !== target && run.exitCode !== 0);
  const targetCounts = countsOf(target);
  const counted = targetCounts ? ` (${describeCounts(targetCounts)})` : '';
  if (target.exitCode === 0) {
    return {
      passed: false,
      reason: `\`${target.command}\` passes${counted}: red tests must fail before the code exists`,
      failingTests: [],
      newFailingTests: [],
    };
  }
  if (others.length > 0) {
    return {
      passed: false,
      reason: `other suites fail too: ${others.map((run) => `\`${run.command}\``).join(', ')}`,
      failingTests: [],
      newFailingTests: [],
    };
  }
  return {
    passed: true,
    reason: `\`${target.command}\` fails as it should (exit ${target.exitCode}${targetCounts ? `; ${describeCounts(targetCounts)}` : ''}; configure a test report to know which tests)`,
    failingTests: [],
    newFailingTests: [],
  };
}

export function evaluateCheck(
  kind: Exclude<CheckKind, 'merge'>,
  runs: readonly SuiteRun[],
  baseline: Baseline,
  suite: SuiteName,
): CheckVerdict {
  return kind === 'new_tests_fail' ? newTestsFail(runs, baseline, suite) : suitePasses(runs, baseline);
}

/**
 * Why a command did not run to its end, in one sentence for an agent or a person: what was stopped,
 * after how long, and which limit stopped it. Undefined when it ran to its end.
 */
export function stopSentence(
  run: Pick<SuiteRun, 'command' | 'outcome' | 'durationMs'> & { limits?: StopLimits },
): string | undefined {
  const what = `\`${run.command}\``;
  const after = `after ${duration(run.durationMs)}`;
  switch (run.outcome) {
    case 'killed_silent':
      return `${what} was stopped as hung ${after}: it printed nothing for ${run.limits ? duration(run.limits.silenceKillMs) : 'too long'}, the silence limit (commands.silenceKillMs)`;
    case 'killed_max_duration':
      return `${what} was stopped ${after}: it did not finish within ${run.limits ? duration(run.limits.maxDurationMs) : 'its time limit'}, the time limit (commands.maxDurationMs)`;
    case 'failed_to_start':
      return `${what} could not be started`;
    case 'cancelled':
      return `${what} was cancelled ${after}`;
    default:
      return undefined;
  }
}

/** The run's test counts: from the report when the project has one, else from the runner's summary. */
export function countsOf(run: Pick<SuiteRun, 'tests' | 'summary'>): TestCounts | undefined {
  if (run.tests) {
    const count = (status: TestCaseResult['status']) => run.tests!.filter((test) => test.status === status).length;
    return { passed: count('passed'), failed: count('failed'), skipped: count('skipped'), from: 'report' };
  }
  if (run.summary) {
    const { runner, ...counts } = run.summary;
    return { ...counts, from: runner };
  }
  return undefined;
}

const SUMMARY_SOURCES: Record<TestRunner, string> = {
  vitest: "vitest's summary",
  jest: "Jest's summary",
  mocha: "Mocha's summary",
  uvu: "uvu's summary",
  node: "node --test's summary",
  tap: 'the TAP output',
  pytest: "pytest's summary",
  go: "go test's output",
};

/** `55 passed, 1 failed, 2 skipped`, and where the numbers come from when it is not a report. */
export function describeCounts(counts: TestCounts): string {
  const numbers = `${counts.passed} passed, ${counts.failed} failed${counts.skipped > 0 ? `, ${counts.skipped} skipped` : ''}`;
  return counts.from === 'report' ? numbers : `${numbers} (from ${SUMMARY_SOURCES[counts.from]})`;
}

/**
 * One suite's run in a sentence: why it was stopped, or its counts, or — when neither a report nor
 * the runner's summary counted its tests — its exit code, saying so; unknown counts are never 0.
 */
export function describeRun(run: SuiteRun): string {
  const stopped = stopSentence(run);
  if (stopped) return stopped;
  const counts = countsOf(run);
  if (counts) return `\`${run.command}\`: ${describeCounts(counts)}`;
  return `\`${run.command}\` ${run.exitCode === 0 ? 'passed' : 'failed'} (exit code ${run.exitCode}), tests not counted`;
}

/** What the base branch's tests look like, in a sentence: per suite when there are several. */
export function baselineSentence(runs: readonly SuiteRun[]): string {
  if (runs.length === 0) return 'no test suite was run';
  const part = (run: SuiteRun) => {
    const stopped = stopSentence(run);
    const counts = countsOf(run);
    if (stopped || !counts) return describeRun(run);
    const failing =
      counts.failed === 0
        ? ''
        : counts.from === 'report'
          ? `, ${counts.failed} already fail (not this subtask's to fix)`
          : `, ${counts.failed} already fail`;
    const skipped = counts.skipped > 0 ? `, ${counts.skipped} skipped` : '';
    const from = counts.from === 'report' ? '' : ` (from ${SUMMARY_SOURCES[counts.from]})`;
    return `${counts.passed} test(s) pass${failing}${skipped}${from}`;
  };
  return runs.length === 1 ? part(runs[0]!) : runs.map((run) => `${run.suite}: ${part(run)}`).join('; ');
}

/** `45 s`, `2 min`, `2 min 5 s`. */
export function duration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 120) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  return seconds % 60 === 0 ? `${minutes} min` : `${minutes} min ${seconds % 60} s`;
}

function list(names: readonly string[]): string {
  const shown = names.slice(0, 8).map((name) => `"${name}"`);
  return names.length > 8 ? `${shown.join(', ')} and ${names.length - 8} more` : shown.join(', ');
}
