import { Notice } from '../components/Notice.js';
import { PageHeader } from '../components/PageHeader.js';
import { QUEUE_PERSONAS } from '../format.js';
import { type SystemStatus, useLiveStatus } from '../live-status.js';
import './SystemPage.css';

type QueueStatus = SystemStatus['queues'][number];

/** What is true right now: Temporal, PostgreSQL, and which workers poll which queue. */
export function SystemPage() {
  const { status, error } = useLiveStatus();
  return (
    <div className="page page-narrow">
      <PageHeader title="System" subtitle="Temporal, PostgreSQL and the workers, as they answer right now." />
      {!status && error && (
        <Notice tone="error" title="The Maestro API is not answering.">
          {error}. Is <code>npm start</code> running?
        </Notice>
      )}
      {!status && !error && <Notice tone="loading">Connecting to the Maestro API…</Notice>}
      {status && <SystemOverview status={status} />}
    </div>
  );
}

function SystemOverview({ status }: { status: SystemStatus }) {
  const polled = status.queues.filter((queue) => queue.polled).length;
  return (
    <>
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
        <article className="card" data-testid="sandbox-card">
          <h2>Sandbox</h2>
          <Health
            ok={status.sandbox.commands === 'bwrap'}
            okText="Commands sandboxed"
            badText={status.sandbox.commands === 'refused' ? 'Commands refused' : 'Commands unsandboxed'}
          />
          <dl>
            <dt>MAESTRO_SANDBOX</dt>
            <dd>{status.sandbox.mode}</dd>
          </dl>
          <p className={status.sandbox.commands === 'bwrap' ? 'muted' : 'error-text'}>{status.sandbox.summary}</p>
        </article>
        <article className="card" data-testid="workers-card">
          <h2>Workers</h2>
          <Health
            ok={status.allQueuesPolled}
            okText={`All ${status.queues.length} queues polled`}
            badText={`${polled} of ${status.queues.length} queues polled`}
          />
          {status.workers.length === 0 ? (
            <p className="muted">
              No worker is polling. Start Maestro with <code>npm start</code>, or run a worker process.
            </p>
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
        <table className="table">
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
  const last = queue.pollers
    .map((poller) => poller.lastAccessAt)
    .filter(Boolean)
    .sort()
    .at(-1);
  return (
    <tr data-testid={queue.model ? `queue-model-${queue.model}` : `queue-${queue.name}`}>
      <td>
        <code>{queue.taskQueue}</code>
      </td>
      <td>{queue.model ? `model ${queue.model}` : (QUEUE_PERSONAS[queue.name] ?? queue.name)}</td>
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
