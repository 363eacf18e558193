import type { SuiteRun } from '../domain/checks.js';
import type { Prisma, PrismaClient } from './prisma.js';

export interface CheckRunRecord {
  subtaskId: string;
  projectId: string;
  workflowId: string;
  phase: string;
  attempt: number;
  kind: 'baseline' | 'new_tests_fail' | 'suite_passes';
  sha: string;
  treeSha: string;
  passed: boolean;
  reason: string;
  runs: readonly SuiteRun[];
  startedAt: Date;
  finishedAt: Date;
  /** Unique per activity run: a retried write is not stored twice. */
  key: string;
}

/** What a suite's run keeps: its tests one by one, and the end of its output. */
export interface StoredSuiteRun {
  suite: string;
  command: string;
  outcome: SuiteRun['outcome'];
  exitCode: number | null;
  durationMs: number;
  tests: Array<{ name: string; status: 'passed' | 'failed' | 'skipped'; durationMs?: number }> | null;
  outputTail: string;
  logFile: string;
  /** Not run again: the earlier run of the same command on the same files whose result this is. */
  reused?: SuiteRun['reused'];
}

const MAX_TESTS_PER_SUITE = 5_000;

/** Keeps a check's results test by test, so people see them and flaky tests can be told. */
export async function recordCheckRun(prisma: PrismaClient, record: CheckRunRecord): Promise<void> {
  const suites: StoredSuiteRun[] = record.runs.map((run) => ({
    suite: run.suite,
    command: run.command,
    outcome: run.outcome,
    exitCode: run.exitCode,
    durationMs: run.durationMs,
    tests: run.tests
      ? run.tests
          .slice(0, MAX_TESTS_PER_SUITE)
          .map((test) => ({ name: test.name, status: test.status, durationMs: test.durationMs }))
      : null,
    outputTail: run.outputTail.slice(-2_000),
    logFile: run.logFile,
    ...(run.reused ? { reused: run.reused } : {}),
  }));
  await prisma.checkRun.createMany({
    data: [
      {
        subtaskId: record.subtaskId,
        projectId: record.projectId,
        workflowId: record.workflowId,
        phase: record.phase,
        attempt: record.attempt,
        kind: record.kind,
        sha: record.sha,
        treeSha: record.treeSha,
        passed: record.passed,
        reason: record.reason.slice(0, 4_000),
        durationMs: Math.round(record.runs.reduce((sum, run) => sum + run.durationMs, 0)),
        suites: suites as unknown as Prisma.InputJsonValue,
        startedAt: record.startedAt,
        finishedAt: record.finishedAt,
        idempotencyKey: record.key,
      },
    ],
    skipDuplicates: true,
  });
}
