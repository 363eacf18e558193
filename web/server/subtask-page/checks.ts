import type { StoredSuiteRun } from '../../../data/check-runs.js';
import type { PrismaClient } from '../../../data/prisma.js';

export interface TestResult {
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  durationMs: number | null;
  /** The same test passed and failed on runs of the same code (the same git tree). */
  flaky: boolean;
}

export interface SuiteResult {
  suite: string;
  command: string;
  outcome: StoredSuiteRun['outcome'];
  exitCode: number | null;
  durationMs: number;
  /** Null when the project has no machine-readable report for the suite: only its exit code is known. */
  tests: TestResult[] | null;
  passed: number;
  failed: number;
  skipped: number;
  outputTail: string;
  /** Without a report: the suite's command passed and failed on the same tree. */
  flaky: boolean;
  /** Not run again: the earlier run of the same command on the same files whose result this is. */
  reused: StoredSuiteRun['reused'] | null;
}

export interface CheckRunResult {
  id: string;
  phase: string;
  attempt: number;
  kind: string;
  sha: string;
  treeSha: string;
  passed: boolean;
  reason: string;
  durationMs: number;
  startedAt: string;
  finishedAt: string;
  suites: SuiteResult[];
}

export interface FlakyTest {
  suite: string;
  name: string;
  treeSha: string;
  passedRuns: number;
  failedRuns: number;
}

/**
 * Every check of a subtask with its tests one by one, oldest first; a test that passed on one run
 * and failed on another run of the same tree (whichever subtask ran it) is flagged flaky.
 */
export async function readCheckResults(
  prisma: PrismaClient,
  subtaskId: string,
): Promise<{ runs: CheckRunResult[]; flaky: FlakyTest[] }> {
  const rows = await prisma.checkRun.findMany({ where: { subtaskId }, orderBy: [{ startedAt: 'asc' }, { id: 'asc' }] });
  const trees = [...new Set(rows.map((row) => row.treeSha))];
  const sameTrees =
    trees.length === 0
      ? []
      : await prisma.checkRun.findMany({ where: { treeSha: { in: trees } }, select: { treeSha: true, suites: true } });

  // Outcomes per tree, suite and test (a suite without a report counts as one test: its command).
  const outcomes = new Map<string, { passed: number; failed: number }>();
  const keyOf = (treeSha: string, suite: string, test: string | null) => `${treeSha}\0${suite}\0${test ?? ''}`;
  for (const run of sameTrees) {
    for (const suite of run.suites as unknown as StoredSuiteRun[]) {
      if (suite.reused) continue; // the same run counted once, where it ran
      const results =
        suite.tests ??
        (suite.outcome === 'exited' ? [{ name: null, status: suite.exitCode === 0 ? 'passed' : 'failed' }] : []);
      for (const test of results) {
        if (test.status === 'skipped') continue;
        const key = keyOf(run.treeSha, suite.suite, test.name);
        const counted = outcomes.get(key) ?? { passed: 0, failed: 0 };
        counted[test.status === 'passed' ? 'passed' : 'failed'] += 1;
        outcomes.set(key, counted);
      }
    }
  }
  const flipped = (treeSha: string, suite: string, test: string | null) => {
    const counted = outcomes.get(keyOf(treeSha, suite, test));
    return Boolean(counted && counted.passed > 0 && counted.failed > 0);
  };

  const flaky = new Map<string, FlakyTest>();
  const runs = rows.map((row): CheckRunResult => ({
    id: row.id,
    phase: row.phase,
    attempt: row.attempt,
    kind: row.kind,
    sha: row.sha,
    treeSha: row.treeSha,
    passed: row.passed,
    reason: row.reason,
    durationMs: row.durationMs,
    startedAt: row.startedAt.toISOString(),
    finishedAt: row.finishedAt.toISOString(),
    suites: (row.suites as unknown as StoredSuiteRun[]).map((suite) => {
      const tests = suite.tests?.map((test) => {
        const isFlaky = flipped(row.treeSha, suite.suite, test.name);
        if (isFlaky) {
          const counted = outcomes.get(keyOf(row.treeSha, suite.suite, test.name))!;
          flaky.set(keyOf(row.treeSha, suite.suite, test.name), {
            suite: suite.suite,
            name: test.name,
            treeSha: row.treeSha,
            passedRuns: counted.passed,
            failedRuns: counted.failed,
          });
        }
        return { name: test.name, status: test.status, durationMs: test.durationMs ?? null, flaky: isFlaky };
      });
      return {
        suite: suite.suite,
        command: suite.command,
        outcome: suite.outcome,
        exitCode: suite.exitCode,
        durationMs: suite.durationMs,
        tests: tests ?? null,
        passed: tests?.filter((test) => test.status === 'passed').length ?? 0,
        failed: tests?.filter((test) => test.status === 'failed').length ?? 0,
        skipped: tests?.filter((test) => test.status === 'skipped').length ?? 0,
        outputTail: suite.outputTail,
        flaky: !suite.tests && flipped(row.treeSha, suite.suite, null),
        reused: suite.reused ?? null,
      };
    }),
  }));
  return { runs, flaky: [...flaky.values()] };
}
