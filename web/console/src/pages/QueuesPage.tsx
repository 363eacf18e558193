import { useQuery } from '@tanstack/react-query';
import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '../../../server/root.js';
import { ApiError } from '../components/ops/ApiError.js';
import { EmptyState } from '../components/Notice.js';
import { PageHead } from '../components/ops/PageHead.js';
import { Sparkline } from '../components/ops/Sparkline.js';
import { ago, percent, workerName } from '../components/ops/format.js';
import { QUEUE_PERSONAS, preciseDuration } from '../format.js';
import '../components/ops/ops.css';
import './QueuesPage.css';
import { useTRPC } from '../trpc.js';

/** The agents' names in the vision documents. */
const PERSONA_NAMES: Record<string, string> = { orchestrator: 'Orion', tester: 'Tara', developer: 'Devon' };

type Queue = inferRouterOutputs<AppRouter>['queues']['list']['queues'][number];

/** Task queues with their backlog and pollers (from Temporal), throughput and failures per role, and the slowest activities. */
export function QueuesPage() {
  const trpc = useTRPC();
  const queues = useQuery({ ...trpc.queues.list.queryOptions(), refetchInterval: 5_000 });
  const roles = useQuery({ ...trpc.metrics.roles.queryOptions({}), refetchInterval: 10_000 });
  const slowest = useQuery({ ...trpc.metrics.bottlenecks.queryOptions({ limit: 10 }), refetchInterval: 30_000 });
  const waiting = queues.data?.queues.reduce((sum, queue) => sum + (queue.backlog?.count ?? 0), 0) ?? 0;
  const unpolled = queues.data?.queues.filter((queue) => !queue.polled).length ?? 0;

  return (
    <div className="ops-page queues-page">
      <PageHead
        title="Queues and workers"
        subtitle="Every task queue as Temporal reports it: tasks waiting for a worker, and the worker processes polling. Below, what each role got done in the last hour."
      >
        {queues.data && (
          <div className="queues-summary">
            <span className={`ops-pill ${waiting > 0 ? 'warn' : 'ok'}`}>
              {waiting === 0 ? 'No task waiting' : `${waiting} task${waiting === 1 ? '' : 's'} waiting`}
            </span>
            <span className={`ops-pill ${unpolled > 0 ? 'bad' : 'ok'}`}>
              {unpolled > 0 ? `${unpolled} queue${unpolled === 1 ? '' : 's'} without a worker` : 'Every queue polled'}
            </span>
          </div>
        )}
      </PageHead>

      {queues.error && <ApiError what="the task queues" error={queues.error} onRetry={() => void queues.refetch()} />}
      {!queues.data && !queues.error && <div className="ops-loading">Asking Temporal about the task queues…</div>}
      {queues.data && (
        <section className="ops-table-wrap" aria-label="Task queues">
          <table className="ops-table queues-table" data-testid="queues-table">
            <thead>
              <tr>
                <th>Queue</th>
                <th className="num">Backlog</th>
                <th className="num">Oldest</th>
                <th className="num">In / out per s</th>
                <th>Workers polling</th>
                <th>Status</th>
              </tr>
            </thead>
            <tbody>
              {queues.data.queues.map((queue) => (
                <QueueRow key={queue.taskQueue} queue={queue} />
              ))}
            </tbody>
          </table>
        </section>
      )}

      <section className="ops-panel" aria-label="Roles" data-testid="roles">
        <h2>
          Roles <span className="ops-muted">the last hour</span>
        </h2>
        {roles.error && <ApiError what="the role metrics" error={roles.error} onRetry={() => void roles.refetch()} />}
        {roles.data?.roles.length === 0 && (
          <EmptyState icon="⏱" title="Nothing ran in the last hour" testId="roles-empty">
            Every activity a worker runs is timed; throughput and failure rates appear here once agents, checks or model
            calls run.
          </EmptyState>
        )}
        {roles.data && roles.data.roles.length > 0 && (
          <div className="role-grid">
            {roles.data.roles.map((role) => (
              <article key={role.role} className="role-card" data-testid={`role-${role.role}`}>
                <header>
                  <span>
                    <strong className="role-name">{role.role}</strong>
                    {PERSONA_NAMES[role.role] && <span className="ops-muted"> {PERSONA_NAMES[role.role]}</span>}
                  </span>
                  <span className={`ops-pill ${role.failureRate > 0.2 ? 'bad' : role.failureRate > 0 ? 'warn' : 'ok'}`}>
                    {percent(role.failureRate)} failed
                  </span>
                </header>
                <Sparkline
                  series={role.series}
                  label={`${role.role}: runs per ${Math.round((roles.data?.bucketMs ?? 60_000) / 60_000)} min`}
                />
                <dl>
                  <dt>Runs</dt>
                  <dd>
                    {role.runs} <span className="ops-muted">({role.perMinute}/min)</span>
                  </dd>
                  <dt>Failed</dt>
                  <dd>{role.failed}</dd>
                  <dt>p50 · p95</dt>
                  <dd>
                    {preciseDuration(role.p50)} · {preciseDuration(role.p95)}
                  </dd>
                  <dt>Last run</dt>
                  <dd>{ago(role.lastRunAt)}</dd>
                </dl>
              </article>
            ))}
          </div>
        )}
      </section>

      <section className="ops-panel" aria-label="Slowest activities">
        <h2>
          Slowest activities <span className="ops-muted">the last 24 hours, by p95</span>
        </h2>
        {slowest.error && (
          <ApiError what="the activity timings" error={slowest.error} onRetry={() => void slowest.refetch()} />
        )}
        {slowest.data?.activities.length === 0 && (
          <p className="ops-muted">No activity has run in the last 24 hours.</p>
        )}
        {slowest.data && slowest.data.activities.length > 0 && (
          <table className="ops-table" data-testid="bottlenecks">
            <thead>
              <tr>
                <th>Activity</th>
                <th>Role</th>
                <th className="num">Runs</th>
                <th className="num">Failed</th>
                <th className="num">p50</th>
                <th className="num">p95</th>
                <th className="num">p99</th>
                <th className="num">Max</th>
              </tr>
            </thead>
            <tbody>
              {slowest.data.activities.map((row) => (
                <tr key={row.activityType}>
                  <td className="ops-mono">{row.activityType}</td>
                  <td>{row.roles.join(', ')}</td>
                  <td className="num">{row.runs}</td>
                  <td className="num">{row.failed > 0 ? <span className="queues-bad">{row.failed}</span> : 0}</td>
                  <td className="num">{preciseDuration(row.p50)}</td>
                  <td className="num">{preciseDuration(row.p95)}</td>
                  <td className="num">{preciseDuration(row.p99)}</td>
                  <td className="num">{preciseDuration(row.maxMs)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}

function QueueRow({ queue }: { queue: Queue }) {
  const live = queue.pollers.filter((poller) => poller.live);
  const stale = queue.pollers.filter((poller) => !poller.live);
  const backlog = queue.backlog;
  return (
    <tr data-testid={queue.model ? `queue-model-${queue.model}` : `queue-${queue.name}`}>
      <td>
        <div className="ops-mono queues-name">{queue.taskQueue}</div>
        <div className="ops-muted">
          {queue.model ? `model ${queue.model}` : (QUEUE_PERSONAS[queue.name] ?? queue.name)} ·{' '}
          {queue.kind === 'workflow' ? 'workflow tasks' : 'activities'}
        </div>
      </td>
      <td className="num">
        {backlog ? <span className={backlog.count > 0 ? 'queues-backlog' : ''}>{backlog.count}</span> : '?'}
      </td>
      <td className="num">{backlog && backlog.count > 0 ? preciseDuration(backlog.ageMs) : '—'}</td>
      <td className="num">{backlog ? `${backlog.addRate.toFixed(1)} / ${backlog.dispatchRate.toFixed(1)}` : '—'}</td>
      <td>
        {queue.pollers.length === 0 && <span className="ops-muted">none</span>}
        <ul className="pollers">
          {[...live, ...stale].map((poller) => {
            const name = workerName(poller.identity);
            return (
              <li key={poller.identity} title={poller.identity} className={poller.live ? '' : 'stale'}>
                <span className={`poller-dot ${poller.live ? 'on' : ''}`} aria-hidden />
                <span>{name.process}</span>
                <span className="ops-muted"> · polled {ago(poller.lastAccessAt)}</span>
              </li>
            );
          })}
        </ul>
      </td>
      <td>
        {queue.error ? (
          <span className="ops-pill bad" title={queue.error}>
            error
          </span>
        ) : (
          <span className={`ops-pill ${queue.polled ? 'ok' : 'bad'}`}>{queue.polled ? 'polled' : 'no worker'}</span>
        )}
        {queue.error && <div className="queues-error">{queue.error}</div>}
      </td>
    </tr>
  );
}
