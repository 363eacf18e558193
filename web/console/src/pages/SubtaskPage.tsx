import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { inferRouterOutputs } from '@trpc/server';
import { type ReactNode, useEffect, useRef } from 'react';
import { Link, useParams } from 'react-router';
import type { AppRouter } from '../../../server/root.js';
import { ActionBar } from '../components/ActionDialog.js';
import { ActivityLog } from '../components/ActivityLog.js';
import { PhaseBadge, RiskBadge, StatusBadge } from '../components/Badges.js';
import { Checklist } from '../components/Checklist.js';
import { EmptyState, Notice } from '../components/Notice.js';
import { Progress } from '../components/Progress.js';
import { SubtaskTabs } from '../components/SubtaskTabs.js';
import { ago, dateTime, errorMessage, sentence, usd } from '../format.js';
import { useTRPC } from '../trpc.js';
import './SubtaskPage.css';

type Detail = inferRouterOutputs<AppRouter>['subtask']['detail'];

/** One subtask: where it is, what happened, what it changed, what it cost, and what a person can do now. */
export function SubtaskPage() {
  const { project = '', key = '' } = useParams();
  const trpc = useTRPC();
  const ref = { project, key };
  const detail = useQuery({
    ...trpc.subtask.detail.queryOptions(ref),
    refetchInterval: (query) => (isFinished(query.state.data) ? false : 2_000),
  });
  const running = !isFinished(detail.data);
  const actions = useQuery({
    ...trpc.subtask.actions.queryOptions(ref),
    enabled: Boolean(detail.data),
    refetchInterval: running ? 2_000 : false,
  });
  // The page's queries stop polling when the subtask ends: each is read once more, for its final state.
  const queryClient = useQueryClient();
  const wasRunning = useRef(running);
  useEffect(() => {
    if (wasRunning.current && !running) void queryClient.invalidateQueries({ queryKey: trpc.subtask.pathKey() });
    wasRunning.current = running;
  }, [running, queryClient, trpc]);

  if (detail.error) {
    const notFound = detail.error.data?.code === 'NOT_FOUND';
    return (
      <div className="page">
        <Breadcrumb project={project} subtaskKey={key} />
        {notFound ? (
          <EmptyState title={`No subtask ${key} in ${project}`} icon="?" testId="subtask-not-found">
            <p>{errorMessage(detail.error)}</p>
            <p>
              <Link to="/">Back to the board</Link>
            </p>
          </EmptyState>
        ) : (
          <Notice tone="error" title="The subtask could not be loaded.">
            {errorMessage(detail.error)}
          </Notice>
        )}
      </div>
    );
  }
  if (!detail.data) {
    return (
      <div className="page">
        <Breadcrumb project={project} subtaskKey={key} />
        <Notice tone="loading">
          Loading {project}/{key}…
        </Notice>
      </div>
    );
  }
  const data = detail.data;
  const live = data.live;
  const status = live?.status ?? data.subtask.status;
  const phase = live?.phase ?? data.subtask.phase;
  const progress = live ? parseProgress(live.progress) : data.subtask.progress;

  return (
    <div className="page subtask-page">
      <Breadcrumb project={project} subtaskKey={key} />
      <header className="subtask-header">
        <div className="subtask-heading">
          <h1>{data.subtask.title}</h1>
          <div className="subtask-badges">
            <span data-testid="subtask-status">
              <StatusBadge status={status} />
            </span>
            <span data-testid="subtask-phase">
              <PhaseBadge phase={phase} />
            </span>
            <RiskBadge risk={data.subtask.risk} />
            {live?.paused && <span className="badge warn">paused</span>}
            {progress && (
              <span className="header-progress" data-testid="subtask-progress">
                <Progress done={progress.done} total={progress.total} />
              </span>
            )}
          </div>
          <div className="subtask-meta">
            <span>
              <code>
                {project}/{key}
              </code>
            </span>
            {data.subtask.branch && (
              <span>
                branch <code>{data.subtask.branch}</code>
              </span>
            )}
            <span title={dateTime(data.subtask.createdAt)}>created {ago(data.subtask.createdAt)}</span>
            {live && live.phase && running && (
              <span>
                attempt {live.attempt} of {live.maxAttempts}
              </span>
            )}
            <span data-testid="subtask-cost">
              {usd(data.cost.totalUsd)} in {data.cost.calls} model call{data.cost.calls === 1 ? '' : 's'}
            </span>
            {live?.model && <span title={live.model.reason}>model {live.model.id}</span>}
          </div>
        </div>
        <div className="subtask-links">
          {data.temporalUrl ? (
            <a className="button" href={data.temporalUrl} target="_blank" rel="noreferrer" data-testid="temporal-link">
              Open in Temporal UI ↗
            </a>
          ) : (
            <span className="muted" title="MAESTRO_TEMPORAL_UI_URL is not set">
              No Temporal UI configured
            </span>
          )}
        </div>
      </header>

      <div className="subtask-actions">
        {actions.data ? (
          <ActionBar project={project} subtaskKey={key} actions={actions.data.actions} note={actions.data.note} />
        ) : actions.error ? (
          <p className="error-text">The actions could not be read: {errorMessage(actions.error)}</p>
        ) : (
          <p className="muted action-note">Asking the workflow what it accepts…</p>
        )}
      </div>

      <Banners data={data} />

      <div className="subtask-grid">
        <div className="subtask-main">
          <SubtaskTabs project={project} subtaskKey={key} running={running} />
        </div>
        <aside className="subtask-side">
          <Panel title="Checklist" extra={progress ? `${progress.done}/${progress.total}` : undefined}>
            {live ? (
              <Checklist
                items={live.checklist}
                current={running ? live.phase : null}
                leftOut={live.phasePlan?.leftOut ?? []}
              />
            ) : (
              <p className="muted">
                The checklist lives in the workflow, which cannot be asked right now
                {data.liveError ? `: ${data.liveError}` : ''}.
              </p>
            )}
          </Panel>
          <Panel title="Activity">
            <ActivityLog project={project} subtaskKey={key} />
          </Panel>
        </aside>
      </div>
    </div>
  );
}

function Banners({ data }: { data: Detail }) {
  const live = data.live;
  return (
    <>
      {data.liveError && !isFinished(data) && (
        <Notice tone="warning" title="The workflow cannot be asked right now:">
          {sentence(data.liveError)} The page shows what the database knows.
        </Notice>
      )}
      {data.pendingApproval && (
        <Notice
          tone="warning"
          title={`Waiting for approval of the ${data.pendingApproval.gate}`}
          testId="approval-banner"
        >
          since {ago(data.pendingApproval.requestedAt)}:{' '}
          {data.pendingApproval.gate === 'plan'
            ? 'no agent acts before a reviewer approves the plan.'
            : 'every check passed; a reviewer approves the merge, or sends it back.'}
        </Notice>
      )}
      {live?.blocked && (
        <Notice tone="error" title="Blocked:" testId="blocked-banner">
          {live.blocked.reason}
          {data.openEscalation && (
            <ul className="subtask-escalation-options">
              {data.openEscalation.options.map((option) => (
                <li key={option.id}>
                  <strong>{option.label}</strong>
                  {option.id === data.openEscalation!.recommendedOption && (
                    <span className="badge ok">recommended</span>
                  )}
                  {option.detail && <span className="muted"> — {option.detail}</span>}
                </li>
              ))}
            </ul>
          )}
        </Notice>
      )}
      {live?.lastFailure && !live.blocked && !isFinished(data) && (
        <Notice tone="warning" title={`${live.lastFailure.phase} attempt ${live.lastFailure.attempt} failed:`}>
          {live.lastFailure.reason}
        </Notice>
      )}
    </>
  );
}

function Panel({ title, extra, children }: { title: string; extra?: string; children: ReactNode }) {
  return (
    <section className="panel side-panel">
      <h2 className="panel-title">
        {title}
        {extra && <span className="muted">{extra}</span>}
      </h2>
      {children}
    </section>
  );
}

function Breadcrumb({ project, subtaskKey }: { project: string; subtaskKey: string }) {
  return (
    <nav className="breadcrumb" aria-label="Breadcrumb">
      <Link to="/">Board</Link>
      <span aria-hidden>/</span>
      <Link to={`/?project=${encodeURIComponent(project)}`}>{project}</Link>
      <span aria-hidden>/</span>
      <span>{subtaskKey}</span>
    </nav>
  );
}

function isFinished(data: Detail | undefined): boolean {
  const status = data?.live?.status ?? data?.subtask.status;
  return status === 'completed' || status === 'cancelled';
}

function parseProgress(progress: string): { done: number; total: number } | null {
  const match = /^(\d+)\/(\d+)$/.exec(progress);
  return match ? { done: Number(match[1]), total: Number(match[2]) } : null;
}
