import { useQuery } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import type { inferRouterOutputs } from '@trpc/server';
import { BrowserRouter, Link, NavLink, Route, Routes } from 'react-router';
import type { AppRouter } from '../../server/root.js';
import { ROUTES } from './routes.js';
import { useTRPC } from './trpc.js';

type SystemStatus = inferRouterOutputs<AppRouter>['system']['status'];
type QueueStatus = SystemStatus['queues'][number];

const ROLE_PERSONAS: Record<string, string> = {
  workflows: 'Workflow engine',
  orchestrator: 'Orion · orchestrator',
  tester: 'Tara · tester',
  developer: 'Devon · developer',
  runner: 'Command runner',
  council: 'AI council',
};

export function App() {
  const trpc = useTRPC();
  const initial = useQuery(trpc.system.status.queryOptions());
  const live = useSubscription(trpc.system.onStatus.subscriptionOptions({ intervalMs: 2_000 }));
  const status = live.data ?? initial.data;
  const connected = live.status === 'pending' || live.status === 'idle' ? Boolean(initial.data) : live.status !== 'error';

  return (
    <BrowserRouter>
      <div className="app">
        <header className="topbar">
          <Link to="/" className="brand">
            <span className="logo" aria-hidden>
              ♪
            </span>
            <span className="name">Maestro</span>
            <span className="subtitle">Control room</span>
          </Link>
          <Navigation />
          <div className={`live ${live.data ? 'on' : 'off'}`} title="Status updates arrive over server-sent events">
            <span className="dot" />
            {live.data ? 'Live' : connected ? 'Connecting…' : 'Reconnecting…'}
            {status && <span className="checked">checked {new Date(status.checkedAt).toLocaleTimeString()}</span>}
          </div>
        </header>
        <main>
          <Routes>
            <Route
              path="/"
              element={
                <>
                  {!status && initial.error && (
                    <div className="notice error" role="alert">
                      <strong>The Maestro API is not answering.</strong> {initial.error.message}. Is <code>npm start</code> running?
                    </div>
                  )}
                  {!status && !initial.error && <div className="notice">Connecting to the Maestro API…</div>}
                  {status && <SystemOverview status={status} />}
                </>
              }
            />
            {ROUTES.map((route) => (
              <Route key={route.path} path={route.path} element={route.element} />
            ))}
            <Route
              path="*"
              element={
                <div className="notice">
                  This page does not exist (yet). <Link to="/">Back to the system status</Link>.
                </div>
              }
            />
          </Routes>
        </main>
      </div>
    </BrowserRouter>
  );
}

/** The pages, with how many approvals and escalations wait. */
function Navigation() {
  const trpc = useTRPC();
  const counts = useQuery({ ...trpc.inbox.counts.queryOptions(), refetchInterval: 10_000 });
  const waiting: Record<string, number | undefined> = { '/approvals': counts.data?.approvals, '/escalations': counts.data?.escalations };
  return (
    <nav className="ops-nav" aria-label="Pages">
      <NavLink to="/" end>
        Status
      </NavLink>
      {ROUTES.filter((route) => route.nav).map((route) => (
        <NavLink key={route.path} to={route.path}>
          {route.nav!.label}
          {waiting[route.path] ? <span className="count">{waiting[route.path]}</span> : null}
        </NavLink>
      ))}
    </nav>
  );
}

function SystemOverview({ status }: { status: SystemStatus }) {
  const polled = status.queues.filter((queue) => queue.polled).length;
  return (
    <>
      {status.models.demo && (
        <div className="notice demo" data-testid="demo-banner" role="status">
          <strong>Demo mode.</strong> No model is configured, so a scripted model plays the agents on the sample project{' '}
          <code>demo</code>. Set <code>MAESTRO_MODEL_BASE_URL</code> (an OpenAI-compatible endpoint) or <code>OPENAI_API_KEY</code> to use a real
          model.
        </div>
      )}
      <section className="cards" aria-label="System status">
        <article className="card" data-testid="temporal-card">
          <h2>Temporal</h2>
          <Health ok={status.temporal.reachable} okText="Reachable" badText="Unreachable" />
          <dl>
            <dt>Address</dt>
            <dd>{status.temporal.address}</dd>
            <dt>Namespace</dt>
            <dd>{status.temporal.namespace}</dd>
            {status.temporal.serverVersion && (
              <>
                <dt>Server</dt>
                <dd>{status.temporal.serverVersion}</dd>
              </>
            )}
          </dl>
          {status.temporal.error && <p className="error-text">{status.temporal.error}</p>}
          {status.temporal.uiUrl && (
            <a className="link" href={status.temporal.uiUrl} target="_blank" rel="noreferrer">
              Open the Temporal UI ↗
            </a>
          )}
        </article>
        <article className="card" data-testid="database-card">
          <h2>PostgreSQL</h2>
          <Health ok={status.database.reachable} okText="Reachable" badText="Unreachable" />
          <dl>
            <dt>Schema</dt>
            <dd>{status.database.latestMigration ?? 'no migration applied'}</dd>
          </dl>
          {status.database.error && <p className="error-text">{status.database.error}</p>}
        </article>
        <article className="card" data-testid="workers-card">
          <h2>Workers</h2>
          <Health
            ok={status.allQueuesPolled}
            okText={`All ${status.queues.length} queues polled`}
            badText={`${polled} of ${status.queues.length} queues polled`}
          />
          {status.workers.length === 0 ? (
            <p className="muted">No worker is polling. Start Maestro with <code>npm start</code>, or run a worker process.</p>
          ) : (
            <ul className="workers">
              {status.workers.map((worker) => (
                <li key={worker.identity} title={worker.identity}>
                  <span className="worker-queues">{worker.queues.join(' · ')}</span>
                  <span className="muted">{describeWorkerProcess(worker.identity)}</span>
                </li>
              ))}
            </ul>
          )}
        </article>
      </section>
      <section aria-label="Task queues">
        <h2 className="section-title">Task queues</h2>
        <table className="queues">
          <thead>
            <tr>
              <th>Queue</th>
              <th>Role</th>
              <th>Runs</th>
              <th>Pollers</th>
              <th>Last poll</th>
              <th>Status</th>
            </tr>
          </thead>
          <tbody>
            {status.queues.map((queue) => (
              <QueueRow key={queue.taskQueue} queue={queue} checkedAt={status.checkedAt} />
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}

function QueueRow({ queue, checkedAt }: { queue: QueueStatus; checkedAt: string }) {
  const live = queue.pollers.filter((poller) => poller.live);
  const last = queue.pollers.map((poller) => poller.lastAccessAt).filter(Boolean).sort().at(-1);
  return (
    <tr data-testid={queue.model ? `queue-model-${queue.model}` : `queue-${queue.name}`}>
      <td>
        <code>{queue.taskQueue}</code>
      </td>
      <td>{queue.model ? `model ${queue.model}` : (ROLE_PERSONAS[queue.name] ?? queue.name)}</td>
      <td>{queue.kind === 'workflow' ? 'workflow tasks' : 'activities'}</td>
      <td>{live.length}</td>
      <td>{last ? ago(last, checkedAt) : '—'}</td>
      <td>
        {queue.error ? (
          <span className="badge bad" title={queue.error}>
            error
          </span>
        ) : (
          <span className={`badge ${queue.polled ? 'ok' : 'bad'}`}>{queue.polled ? 'polled' : 'no worker'}</span>
        )}
      </td>
    </tr>
  );
}

function Health({ ok, okText, badText }: { ok: boolean; okText: string; badText: string }) {
  return <p className={`health ${ok ? 'ok' : 'bad'}`}>{ok ? `● ${okText}` : `● ${badText}`}</p>;
}

/** Maestro's worker identities read `<pid>@<host>/maestro:<queues>`; others are shown as they are. */
function describeWorkerProcess(identity: string): string {
  const match = /^(\d+)@([^/]+)\/maestro:/.exec(identity);
  return match ? `process ${match[1]} on ${match[2]}` : identity;
}

function ago(iso: string, now: string): string {
  const seconds = Math.max(0, Math.round((Date.parse(now) - Date.parse(iso)) / 1000));
  return seconds < 2 ? 'just now' : `${seconds} s ago`;
}
