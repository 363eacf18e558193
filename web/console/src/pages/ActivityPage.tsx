import { useQuery } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import type { inferRouterOutputs } from '@trpc/server';
import { useEffect, useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { AppRouter } from '../../../server/root.js';
import { ApiError } from '../components/ops/ApiError.js';
import { EmptyState } from '../components/Notice.js';
import { PageHead } from '../components/ops/PageHead.js';
import { ProjectSelect } from '../components/ops/ProjectSelect.js';
import { clock } from '../components/ops/format.js';
import '../components/ops/ops.css';
import './ActivityPage.css';
import { useTRPC } from '../trpc.js';

type LoggedEvent = inferRouterOutputs<AppRouter>['events']['list']['events'][number];

interface Filter {
  project?: string;
  subtask?: string;
  actor?: string;
  kind?: string;
  search?: string;
}

const KINDS = [
  'subtask',
  'phase',
  'check',
  'approval',
  'escalation',
  'override',
  'council',
  'routing',
  'budget',
  'command',
  'provider',
  'prompt',
];
const ACTORS = ['orchestrator', 'tester', 'developer', 'runner', 'system', 'user:*'];
const PAGE = 100;

/** The audit log: every event, filtered and searched, with new ones arriving live over server-sent events. */
export function ActivityPage() {
  const [params, setParams] = useSearchParams();
  const filter: Filter = {
    project: params.get('project') || undefined,
    subtask: (params.get('project') && params.get('subtask')) || undefined,
    actor: params.get('actor') || undefined,
    kind: params.get('kind') || undefined,
    search: params.get('q') || undefined,
  };
  const [searchText, setSearchText] = useState(filter.search ?? '');
  const [actorText, setActorText] = useState(filter.actor ?? '');

  const set = (changes: Record<string, string | undefined>) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes))
      if (value) next.set(key, value);
      else next.delete(key);
    setParams(next, { replace: true });
  };

  // Typing settles for a moment before the log is asked again.
  useEffect(() => {
    const timer = setTimeout(() => {
      if ((searchText.trim() || undefined) !== filter.search || (actorText.trim() || undefined) !== filter.actor)
        set({ q: searchText.trim(), actor: actorText.trim() });
    }, 350);
    return () => clearTimeout(timer);
  }, [searchText, actorText]);

  const filtered = Object.values(filter).some(Boolean);
  return (
    <div className="ops-page activity-page">
      <PageHead
        title="Activity"
        subtitle="The audit log: every transition, handoff, check, approval, override and warning, newest first. New events appear as they happen."
      />
      <form className="activity-filters ops-panel" onSubmit={(event) => event.preventDefault()} aria-label="Filters">
        <ProjectSelect value={filter.project ?? ''} onChange={(project) => set({ project, subtask: undefined })} />
        <SubtaskSelect project={filter.project} value={filter.subtask ?? ''} onChange={(subtask) => set({ subtask })} />
        <label className="ops-field">
          <span>Actor</span>
          <input
            value={actorText}
            onChange={(event) => setActorText(event.target.value)}
            placeholder="anyone"
            list="activity-actors"
            aria-label="Actor"
          />
          <datalist id="activity-actors">
            {ACTORS.map((actor) => (
              <option key={actor} value={actor} />
            ))}
          </datalist>
        </label>
        <label className="ops-field">
          <span>Kind</span>
          <select value={filter.kind ?? ''} onChange={(event) => set({ kind: event.target.value })} aria-label="Kind">
            <option value="">Every kind</option>
            {KINDS.map((kind) => (
              <option key={kind} value={kind}>
                {kind}
              </option>
            ))}
            {filter.kind && !KINDS.includes(filter.kind) && <option value={filter.kind}>{filter.kind}</option>}
          </select>
        </label>
        <label className="ops-field activity-search">
          <span>Search</span>
          <input
            type="search"
            value={searchText}
            onChange={(event) => setSearchText(event.target.value)}
            placeholder='words, "a phrase", -without'
            aria-label="Search"
          />
        </label>
        {filtered && (
          <button
            type="button"
            className="ops-button small"
            onClick={() => {
              setSearchText('');
              setActorText('');
              setParams({}, { replace: true });
            }}
          >
            Clear filters
          </button>
        )}
      </form>
      <EventLog key={JSON.stringify(filter)} filter={filter} filtered={filtered} />
    </div>
  );
}

function SubtaskSelect({
  project,
  value,
  onChange,
}: {
  project?: string;
  value: string;
  onChange: (subtask: string) => void;
}) {
  const trpc = useTRPC();
  const subtasks = useQuery({ ...trpc.subtask.list.queryOptions({ project }), enabled: Boolean(project) });
  return (
    <label className="ops-field">
      <span>Subtask</span>
      <select
        value={value}
        onChange={(event) => onChange(event.target.value)}
        disabled={!project}
        aria-label="Subtask"
        title={project ? undefined : 'choose a project first'}
      >
        <option value="">{project ? 'All subtasks' : 'Choose a project'}</option>
        {(subtasks.data ?? []).map((subtask) => (
          <option key={subtask.key} value={subtask.key}>
            {subtask.key} · {subtask.title}
          </option>
        ))}
      </select>
    </label>
  );
}

function EventLog({ filter, filtered }: { filter: Filter; filtered: boolean }) {
  const trpc = useTRPC();
  const first = useQuery({
    ...trpc.events.list.queryOptions({ ...filter, limit: PAGE }),
    staleTime: Infinity,
    refetchOnWindowFocus: false,
  });
  const [live, setLive] = useState<LoggedEvent[]>([]);
  const [older, setOlder] = useState<LoggedEvent[]>([]);
  const [before, setBefore] = useState<string | null | undefined>(undefined);
  const [open, setOpen] = useState<string | undefined>();
  const startAfter = first.data ? (first.data.events[0]?.id ?? '0') : undefined;
  const stream = useSubscription(
    trpc.events.onEvents.subscriptionOptions(
      { ...filter, lastEventId: startAfter },
      {
        enabled: startAfter !== undefined,
        onData: (tracked) => setLive((shown) => [tracked.data as LoggedEvent, ...shown].slice(0, 2_000)),
      },
    ),
  );
  const nextBefore = before === undefined ? first.data?.nextBefore : before;
  const page = useQuery({
    ...trpc.events.list.queryOptions({ ...filter, limit: PAGE, before: nextBefore ?? undefined }),
    enabled: false,
  });

  const events = useMemo(() => {
    const seen = new Set<string>();
    return [...live, ...(first.data?.events ?? []), ...older].filter((event) =>
      seen.has(event.id) ? false : (seen.add(event.id), true),
    );
  }, [live, first.data, older]);
  const fresh = useMemo(() => new Set(live.map((event) => event.id)), [live]);

  const loadOlder = async () => {
    const result = await page.refetch();
    if (result.data) {
      setOlder((shown) => [...shown, ...result.data.events]);
      setBefore(result.data.nextBefore);
    }
  };

  if (first.error) return <ApiError what="the activity log" error={first.error} onRetry={() => void first.refetch()} />;
  if (!first.data) return <div className="ops-loading">Loading the activity log…</div>;
  return (
    <section className="activity-page-log" aria-label="Events">
      <div className="activity-status">
        <span
          className={`activity-live ${stream.status === 'pending' ? 'on' : stream.status === 'error' ? 'bad' : ''}`}
          data-testid="activity-live"
        >
          <span className="dot" aria-hidden />
          {stream.status === 'pending'
            ? 'Live'
            : stream.status === 'error'
              ? `Live updates stopped: ${stream.error?.message ?? 'the connection failed'}`
              : 'Connecting…'}
        </span>
        <span className="ops-muted">
          {events.length} event{events.length === 1 ? '' : 's'} shown
          {live.length > 0 ? `, ${live.length} new since you opened the page` : ''}
        </span>
      </div>
      {events.length === 0 ? (
        filtered ? (
          <EmptyState icon="⌕" title="No events match" testId="activity-empty">
            Nothing in the log matches these filters yet; new matching events will appear here as they happen. Search
            looks for whole words in the kind, actor and message (<code>fail</code> also finds failed and failing).
          </EmptyState>
        ) : (
          <EmptyState icon="✎" title="Nothing has happened yet" testId="activity-empty">
            Every transition, handoff, check, approval and override is written here. Start a subtask to see it move:{' '}
            <code>maestro subtask start &lt;project&gt;/&lt;key&gt; --title … --criterion …</code>
          </EmptyState>
        )
      ) : (
        <ol className="activity-list" data-testid="activity-list">
          {events.map((event) => (
            <li
              key={event.id}
              className={`activity-row${fresh.has(event.id) ? ' fresh' : ''}`}
              data-testid="activity-row"
            >
              <button
                type="button"
                className="activity-line"
                onClick={() => setOpen(open === event.id ? undefined : event.id)}
                aria-expanded={open === event.id}
              >
                <time dateTime={event.occurredAt} title={new Date(event.occurredAt).toLocaleString()}>
                  {clock(event.occurredAt)}
                </time>
                <span className={`activity-kind kind-${event.kind.split('.')[0]}`}>{event.kind}</span>
                <span className={`activity-actor${event.actor.startsWith('user:') ? ' person' : ''}`}>
                  {event.actor}
                </span>
                <span className="activity-message">{event.message}</span>
                <span className="activity-where ops-mono">
                  {event.project ? `${event.project}${event.subtask ? `/${event.subtask}` : ''}` : ''}
                </span>
              </button>
              {open === event.id && (
                <div className="activity-detail">
                  <p className="activity-full">{event.message}</p>
                  {event.project && event.subtask && (
                    <Link to={`/subtasks/${event.project}/${event.subtask}`}>
                      Open the subtask {event.project}/{event.subtask} →
                    </Link>
                  )}
                  <dl>
                    <dt>Event</dt>
                    <dd className="ops-mono">#{event.id}</dd>
                    <dt>When</dt>
                    <dd>{new Date(event.occurredAt).toLocaleString()}</dd>
                    {event.workflowId && (
                      <>
                        <dt>Workflow</dt>
                        <dd className="ops-mono">{event.workflowId}</dd>
                      </>
                    )}
                  </dl>
                  {event.data !== null && event.data !== undefined && <pre>{JSON.stringify(event.data, null, 2)}</pre>}
                </div>
              )}
            </li>
          ))}
        </ol>
      )}
      {nextBefore && (
        <button
          type="button"
          className="ops-button activity-more"
          onClick={() => void loadOlder()}
          disabled={page.isFetching}
        >
          {page.isFetching ? 'Loading…' : 'Load older events'}
        </button>
      )}
    </section>
  );
}
