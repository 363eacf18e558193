import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { ApiError } from '../components/ops/ApiError.js';
import { BarList } from '../components/ops/BarList.js';
import { BudgetGauge } from '../components/ops/BudgetGauge.js';
import { DayChart } from '../components/ops/DayChart.js';
import { EmptyState } from '../components/Notice.js';
import { PageHead } from '../components/ops/PageHead.js';
import { ProjectSelect } from '../components/ops/ProjectSelect.js';
import { compact, usd } from '../components/ops/format.js';
import '../components/ops/ops.css';
import './CostsPage.css';
import { useTRPC } from '../trpc.js';

const WINDOWS = [7, 30, 90] as const;
type Measure = 'cost' | 'calls' | 'tokens';

interface Line {
  key: string;
  costUsd: string;
  calls: number;
  inputTokens: number;
  outputTokens: number;
}

const valueOf = (line: Line, measure: Measure) =>
  measure === 'cost' ? Number(line.costUsd) : measure === 'calls' ? line.calls : line.inputTokens + line.outputTokens;
const textOf = (line: Line, measure: Measure) =>
  measure === 'cost'
    ? usd(line.costUsd)
    : measure === 'calls'
      ? `${compact(line.calls)} call${line.calls === 1 ? '' : 's'}`
      : `${compact(line.inputTokens + line.outputTokens)} tokens`;

/** Spend per day, model, project and subtask, and every project's budget tiers as gauges. */
export function CostsPage() {
  const trpc = useTRPC();
  const [params, setParams] = useSearchParams();
  const project = params.get('project') ?? '';
  const days = Number(params.get('days')) || 30;
  // Midnight UTC, `days - 1` days ago: whole days, and a query key that does not change every render.
  const from = useMemo(() => {
    const now = new Date();
    return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - (days - 1))).toISOString();
  }, [days]);
  const summary = useQuery({
    ...trpc.costs.summary.queryOptions({ ...(project ? { project } : {}), from }),
    refetchInterval: 10_000,
  });
  const budgets = useQuery({ ...trpc.costs.budgets.queryOptions(), refetchInterval: 10_000 });
  const [chosen, setChosen] = useState<Measure | undefined>();
  const measure: Measure =
    chosen ??
    (summary.data && Number(summary.data.total.costUsd) === 0 && summary.data.total.calls > 0 ? 'calls' : 'cost');

  const set = (changes: Record<string, string>) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes))
      if (value) next.set(key, value);
      else next.delete(key);
    setParams(next);
  };

  const daily = useMemo(() => {
    const byDay = new Map((summary.data?.byDay ?? []).map((line) => [line.key, line]));
    const points = [];
    for (let index = 0; index < days; index++) {
      const day = new Date(Date.parse(from) + index * 86_400_000).toISOString().slice(0, 10);
      const line = byDay.get(day) ?? { key: day, costUsd: '0', calls: 0, inputTokens: 0, outputTokens: 0 };
      points.push({
        day,
        value: valueOf(line, measure),
        text: `${usd(line.costUsd)} · ${line.calls} calls · ${compact(line.inputTokens + line.outputTokens)} tokens`,
      });
    }
    return points;
  }, [summary.data, days, from, measure]);

  const shownBudgets = (budgets.data?.projects ?? []).filter((budget) => !project || budget.project === project);
  const total = summary.data?.total;

  return (
    <div className="ops-page costs-page">
      <PageHead
        title="Costs"
        subtitle="What the models cost, from the ledger: every answered call, priced exactly. Budgets hold work at the hard limit and stop calls at the emergency limit."
      >
        <ProjectSelect value={project} onChange={(next) => set({ project: next })} />
        <div className="ops-field">
          <span>Window</span>
          <div className="ops-segmented" role="group" aria-label="Window">
            {WINDOWS.map((window) => (
              <button
                key={window}
                type="button"
                aria-pressed={days === window}
                onClick={() => set({ days: String(window) })}
              >
                {window} days
              </button>
            ))}
          </div>
        </div>
      </PageHead>

      {summary.error && <ApiError what="the costs" error={summary.error} onRetry={() => void summary.refetch()} />}
      {budgets.error && <ApiError what="the budgets" error={budgets.error} onRetry={() => void budgets.refetch()} />}

      {total && (
        <section className="costs-totals" aria-label="Totals" data-testid="costs-totals">
          <div className="costs-stat">
            <span className="costs-stat-value">{usd(total.costUsd)}</span>
            <span className="costs-stat-label">
              spent in {days} days{project ? ` on ${project}` : ''}
            </span>
          </div>
          <div className="costs-stat">
            <span className="costs-stat-value">{compact(total.calls)}</span>
            <span className="costs-stat-label">model calls</span>
          </div>
          <div className="costs-stat">
            <span className="costs-stat-value">{compact(total.inputTokens)}</span>
            <span className="costs-stat-label">tokens in</span>
          </div>
          <div className="costs-stat">
            <span className="costs-stat-value">{compact(total.outputTokens)}</span>
            <span className="costs-stat-label">tokens out</span>
          </div>
          {budgets.data && (
            <div className="costs-stat">
              <span className="costs-stat-value">
                {usd(budgets.data.council.spentTodayUsd)} <small>of {usd(budgets.data.council.dailyUsd)}</small>
              </span>
              <span className="costs-stat-label">
                councils today{budgets.data.council.exhausted ? ' · exhausted' : ''}
              </span>
            </div>
          )}
        </section>
      )}

      <section className="ops-panel" aria-label="Budgets" data-testid="budgets">
        <h2>
          Budgets <span className="ops-muted">all time, per project</span>
        </h2>
        {budgets.data && shownBudgets.length === 0 && (
          <p className="ops-muted">
            No projects yet: each project gets its budget tiers when it is added ($20 soft, $50 hard, $100 emergency
            unless set).
          </p>
        )}
        <div className="costs-gauges">
          {shownBudgets.map((budget) => (
            <BudgetGauge
              key={budget.project}
              label={budget.project}
              spentUsd={budget.spentUsd}
              limits={budget.limits}
              tier={budget.tier}
              testId={`budget-${budget.project}`}
            />
          ))}
        </div>
      </section>

      {total && total.calls === 0 && (
        <EmptyState icon="$" title="No model calls in this window" testId="costs-empty">
          Spend appears here as soon as agents call a model. Start a subtask (<code>maestro subtask start</code>) or
          widen the window.
        </EmptyState>
      )}

      {total && total.calls > 0 && summary.data && (
        <>
          <div className="costs-measure">
            <span className="ops-muted">Show</span>
            <div className="ops-segmented" role="group" aria-label="Measure">
              {(['cost', 'calls', 'tokens'] as const).map((candidate) => (
                <button
                  key={candidate}
                  type="button"
                  aria-pressed={measure === candidate}
                  onClick={() => setChosen(candidate)}
                >
                  {candidate === 'cost' ? 'Dollars' : candidate === 'calls' ? 'Calls' : 'Tokens'}
                </button>
              ))}
            </div>
            {Number(total.costUsd) === 0 && (
              <span className="ops-muted">
                These models have no prices (the demo&apos;s scripted model is free): showing calls.
              </span>
            )}
          </div>
          <section className="ops-panel" aria-label="Per day">
            <h2>
              Per day <span className="ops-muted">UTC</span>
            </h2>
            <DayChart points={daily} testId="costs-per-day" />
          </section>
          <div className="ops-grid-2">
            <section className="ops-panel" aria-label="Per model">
              <h2>Per model</h2>
              <BarList
                testId="costs-per-model"
                empty="No calls."
                rows={sortBy(summary.data.byModel, measure).map((line) => ({
                  key: line.key,
                  label: line.key,
                  value: valueOf(line, measure),
                  text: textOf(line, measure),
                }))}
              />
            </section>
            <section className="ops-panel" aria-label="Per project">
              <h2>Per project</h2>
              <BarList
                testId="costs-per-project"
                empty="No calls."
                rows={sortBy(summary.data.byProject, measure).map((line) => ({
                  key: line.key,
                  label: line.key,
                  value: valueOf(line, measure),
                  text: textOf(line, measure),
                }))}
              />
            </section>
          </div>
          <section className="ops-panel" aria-label="Per subtask">
            <h2>
              Per subtask <span className="ops-muted">the top 25</span>
            </h2>
            <table className="ops-table" data-testid="costs-per-subtask">
              <thead>
                <tr>
                  <th>Subtask</th>
                  <th className="num">Cost</th>
                  <th className="num">Calls</th>
                  <th className="num">Tokens in</th>
                  <th className="num">Tokens out</th>
                </tr>
              </thead>
              <tbody>
                {sortBy(summary.data.bySubtask, measure)
                  .slice(0, 25)
                  .map((line) => (
                    <tr key={line.key}>
                      <td>
                        {line.key.includes('/') ? (
                          <Link to={`/subtasks/${line.key}`}>{line.key}</Link>
                        ) : (
                          <span className="ops-muted">no subtask ({line.key})</span>
                        )}
                      </td>
                      <td className="num">{usd(line.costUsd)}</td>
                      <td className="num">{line.calls.toLocaleString()}</td>
                      <td className="num">{line.inputTokens.toLocaleString()}</td>
                      <td className="num">{line.outputTokens.toLocaleString()}</td>
                    </tr>
                  ))}
              </tbody>
            </table>
          </section>
        </>
      )}
    </div>
  );
}

function sortBy<T extends Line>(lines: T[], measure: Measure): T[] {
  return [...lines].sort((a, b) => valueOf(b, measure) - valueOf(a, measure) || a.key.localeCompare(b.key));
}
