import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '../../../server/root.js';
import { clock, phaseLabel, preciseDuration } from '../format.js';
import { EmptyState } from './Notice.js';
import './CheckResults.css';

type Checks = inferRouterOutputs<AppRouter>['subtask']['checks'];
type Run = Checks['runs'][number];
type Suite = Run['suites'][number];

const KIND_LABELS: Record<string, string> = {
  baseline: 'Baseline',
  new_tests_fail: 'New tests must fail',
  suite_passes: 'Every test passes',
};

/** Every check the runner made: verdict, each suite's tests with durations, the output's end, flaky tests flagged. */
export function CheckResults({ checks }: { checks: Checks }) {
  if (checks.runs.length === 0) {
    return (
      <EmptyState title="No check has run yet" icon="✓">
        <p>
          The runner checks each phase's commit with the project's tests; the baseline runs first, on the base branch.
        </p>
      </EmptyState>
    );
  }
  const latest = checks.runs.at(-1)!;
  return (
    <div className="checks" data-testid="checks">
      {checks.flaky.length > 0 && (
        <div className="notice warning" data-testid="flaky-summary">
          <div>
            <strong>
              {checks.flaky.length} flaky test{checks.flaky.length === 1 ? '' : 's'}:
            </strong>{' '}
            {checks.flaky
              .map(
                (test) =>
                  `“${test.name}” passed ${test.passedRuns} and failed ${test.failedRuns} run(s) of the same code`,
              )
              .join('; ')}
            .
          </div>
        </div>
      )}
      {[...checks.runs].reverse().map((run) => (
        <details
          key={run.id}
          className={`check-run ${run.passed ? 'passed' : 'failed'}`}
          open={run === latest || !run.passed}
          data-testid="check-run"
          data-phase={run.phase}
        >
          <summary>
            <span className={`badge ${run.passed ? 'ok' : 'bad'}`}>
              {run.kind === 'baseline' ? 'baseline' : run.passed ? 'passed' : 'failed'}
            </span>
            <span className="check-title">
              {phaseLabel(run.phase)}
              {run.kind !== 'baseline' && <span className="muted"> · {attemptLabel(run.attempt)}</span>}
            </span>
            <span className="muted check-kind">{KIND_LABELS[run.kind] ?? run.kind}</span>
            {run.suites.some((suite) => suite.reused) && (
              <span
                className="badge"
                data-testid="check-reused"
                title="Not run again: the same command already ran on the same files"
              >
                {run.suites.every((suite) => suite.reused) ? 'reused' : 'partly reused'}
              </span>
            )}
            <span className="check-meta">
              <code title={`tree ${run.treeSha}`}>{run.sha.slice(0, 8)}</code> · {clock(run.startedAt)} ·{' '}
              {preciseDuration(run.durationMs)}
            </span>
          </summary>
          <p className={`check-reason${run.passed ? '' : ' bad'}`}>{run.reason}</p>
          {run.suites.map((suite) => (
            <SuiteBlock key={suite.suite} suite={suite} />
          ))}
        </details>
      ))}
    </div>
  );
}

function SuiteBlock({ suite }: { suite: Suite }) {
  const tests = [...(suite.tests ?? [])].sort((a, b) => rank(a.status) - rank(b.status));
  return (
    <div className="suite" data-testid={`suite-${suite.suite}`}>
      <div className="suite-head">
        <strong>{suite.suite}</strong>
        <code>{suite.command}</code>
        <span className="muted">
          {suite.outcome === 'exited' ? `exit ${suite.exitCode}` : suite.outcome.replaceAll('_', ' ')} ·{' '}
          {preciseDuration(suite.durationMs)}
        </span>
        {suite.tests && (
          <span className="suite-counts">
            <span className="adds">{suite.passed} passed</span>
            {suite.failed > 0 && <span className="dels">{suite.failed} failed</span>}
            {suite.skipped > 0 && <span className="muted">{suite.skipped} skipped</span>}
          </span>
        )}
        {suite.flaky && <span className="badge warn">flaky</span>}
        {suite.reused && (
          <span
            className="badge"
            data-testid="reused-run"
            title="The same command on the same files: this result is that earlier run's"
          >
            reused from {suite.reused.source} at {clock(suite.reused.ranAt)}
          </span>
        )}
      </div>
      {suite.tests ? (
        <table className="tests">
          <tbody>
            {tests.map((test) => (
              <tr
                key={test.name}
                className={`test-${test.status}`}
                data-testid="test-row"
                data-status={test.status}
                data-flaky={test.flaky}
              >
                <td className="test-status">{test.status === 'passed' ? '✓' : test.status === 'failed' ? '✕' : '–'}</td>
                <td className="test-name">
                  {test.name}
                  {test.flaky && (
                    <span className="badge warn flaky" title="This test passed and failed on runs of the same code">
                      flaky
                    </span>
                  )}
                </td>
                <td className="num muted">{test.durationMs === null ? '' : preciseDuration(test.durationMs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted small">
          No test report for this suite: only its exit code is known. Configure a JUnit or Jest JSON report to see each
          test.
        </p>
      )}
      {suite.outputTail && (
        <details className="output">
          <summary>Output (end)</summary>
          <pre>{suite.outputTail}</pre>
        </details>
      )}
    </div>
  );
}

/** The workflow numbers a council's checks apart: 900s for each member's candidate, 800s for the winner on the branch. */
function attemptLabel(attempt: number): string {
  if (attempt >= 900) return `council candidate ${attempt - 899}`;
  if (attempt >= 800) return "the council's winner";
  return `attempt ${attempt}`;
}

function rank(status: string): number {
  return status === 'failed' ? 0 : status === 'passed' ? 1 : 2;
}
