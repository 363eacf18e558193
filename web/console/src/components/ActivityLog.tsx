import { useSubscription } from '@trpc/tanstack-react-query';
import type { inferRouterOutputs } from '@trpc/server';
import { useState } from 'react';
import type { AppRouter } from '../../../server/root.js';
import { when } from '../format.js';
import { useTRPC } from '../trpc.js';
import './ActivityLog.css';

type LogEvent =
  inferRouterOutputs<AppRouter>['subtask']['onEvents'] extends AsyncIterable<infer T>
    ? T extends { data: infer D }
      ? D
      : T
    : never;

const KEEP = 500;

/** The subtask's audit log, pushed over server-sent events: new lines appear as they are written. */
export function ActivityLog({ project, subtaskKey }: { project: string; subtaskKey: string }) {
  const trpc = useTRPC();
  const [events, setEvents] = useState<LogEvent[]>([]);
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const stream = useSubscription(
    trpc.subtask.onEvents.subscriptionOptions(
      { project, key: subtaskKey, backlog: 200 },
      {
        onData: (envelope) => {
          const event = envelope.data;
          setEvents((current) =>
            current.some((known) => known.id === event.id) ? current : [...current, event].slice(-KEEP),
          );
          setFresh((current) => new Set(current).add(event.id));
        },
      },
    ),
  );
  const connected =
    stream.status === 'pending' && events.length > 0 ? true : stream.status !== 'error' && stream.status !== 'idle';
  return (
    <div className="activity-log">
      <div className="log-status">
        <span className={`log-dot${stream.status === 'error' ? ' off' : ''}`} />
        {stream.status === 'error'
          ? `Disconnected: ${stream.error?.message ?? 'reconnecting'}`
          : connected
            ? 'Live'
            : 'Connecting…'}
        <span className="muted">{events.length} lines</span>
      </div>
      {events.length === 0 ? (
        <p className="muted log-empty">
          {stream.status === 'error' ? 'The log could not be loaded.' : 'Nothing logged yet.'}
        </p>
      ) : (
        <ol className="log-lines" data-testid="activity-log">
          {[...events].reverse().map((event) => (
            <li
              key={event.id}
              className={`log-line kind-${event.kind.split('.')[0]}${fresh.has(event.id) ? ' fresh' : ''}`}
              data-testid="log-line"
              data-kind={event.kind}
            >
              <span className="log-time">{when(event.occurredAt)}</span>
              <div className="log-body">
                <div className="log-head">
                  <span className="log-actor">{event.actor}</span>
                  <span className="log-kind">{event.kind}</span>
                </div>
                <div className="log-message">{event.message}</div>
              </div>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
