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

/** One run of one suite's command, as the runner reports it. */
export interface SuiteRun {
  suite: SuiteName;
  command: string;
  exitCode: number | null;
  /** `exited`, or why the command was stopped. */
  outcome: 'exited' | 'killed_silent' | 'killed_max_duration' | 'cancelled' | 'failed_to_start';
  /** From the runner's machine-readable report, when the project has one. */
  tests?: TestCaseResult[];
  durationMs: number;
  outputTail: string;
  logFile: string;
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

function stoppedReason(run: SuiteRun): string | undefined {
  switch (run.outcome) {
    case 'killed_silent':
      return `\`${run.command}\` printed nothing for too long and was stopped`;
    case 'killed_max_duration':
      return `\`${run.command}\` ran past its time limit and was stopped`;
    case 'failed_to_start':
      return `\`${run.command}\` could not be started`;
    case 'cancelled':
      return `\`${run.command}\` was cancelled`;
    default:
      return undefined;
  }
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
    const stopped = stoppedReason(run);
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
      problems.push(`\`${run.command}\` exited with ${run.exitCode}`);
    }
  }
  return {
    passed: problems.length === 0,
    reason: problems.length === 0 ? 'every test passes' : problems.join('; '),
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
  const stopped = runs.map(stoppedReason).find(Boolean);
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
  if (target.exitCode === 0) {
    return {
      passed: false,
      reason: `\`${target.command}\` passes: red tests must fail before the code exists`,
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
    reason: `\`${target.command}\` fails as it should (exit ${target.exitCode}; configure a test report to know which tests)`,
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

function list(names: readonly string[]): string {
  const shown = names.slice(0, 8).map((name) => `"${name}"`);
  return names.length > 8 ? `${shown.join(', ')} and ${names.length - 8} more` : shown.join(', ');
}
