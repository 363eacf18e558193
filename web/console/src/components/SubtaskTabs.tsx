import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router';
import { errorMessage } from '../format.js';
import { useTRPC } from '../trpc.js';
import { CheckResults } from './CheckResults.js';
import { DiffViewer } from './DiffViewer.js';
import { ModelCalls } from './ModelCalls.js';
import { EmptyState, Notice } from './Notice.js';
import { Timeline } from './Timeline.js';

const TABS = [
  { id: 'timeline', label: 'Timeline' },
  { id: 'diff', label: 'Changes' },
  { id: 'checks', label: 'Checks' },
  { id: 'calls', label: 'Model calls' },
] as const;
type Tab = (typeof TABS)[number]['id'];
type TabProps = { project: string; subtaskKey: string; running: boolean };

/** The subtask page's tabs, the open one kept in the address (`?tab=`): each reads its part while the subtask runs. */
export function SubtaskTabs({ project, subtaskKey, running }: TabProps) {
  const [params, setParams] = useSearchParams();
  const tab = (TABS.find((candidate) => candidate.id === params.get('tab'))?.id ?? 'timeline') as Tab;
  return (
    <section className="panel tabs-panel">
      <div className="tabs" role="tablist">
        {TABS.map((candidate) => (
          <button
            key={candidate.id}
            type="button"
            role="tab"
            aria-selected={tab === candidate.id}
            className={`tab${tab === candidate.id ? ' active' : ''}`}
            onClick={() => setParams(candidate.id === 'timeline' ? {} : { tab: candidate.id }, { replace: true })}
            data-testid={`tab-${candidate.id}`}
          >
            {candidate.label}
          </button>
        ))}
      </div>
      <div className="tab-body" role="tabpanel">
        {tab === 'timeline' && <TimelineTab project={project} subtaskKey={subtaskKey} running={running} />}
        {tab === 'diff' && <DiffTab project={project} subtaskKey={subtaskKey} running={running} />}
        {tab === 'checks' && <ChecksTab project={project} subtaskKey={subtaskKey} running={running} />}
        {tab === 'calls' && <CallsTab project={project} subtaskKey={subtaskKey} running={running} />}
      </div>
    </section>
  );
}

function TimelineTab({ project, subtaskKey, running }: TabProps) {
  const trpc = useTRPC();
  const timeline = useQuery({
    ...trpc.subtask.timeline.queryOptions({ project, key: subtaskKey }),
    refetchInterval: running ? 2_000 : false,
  });
  const now = useNow(running);
  if (timeline.error)
    return (
      <Notice tone="error" title="The timeline could not be built.">
        {errorMessage(timeline.error)}
      </Notice>
    );
  if (!timeline.data) return <Notice tone="loading">Reading the workflow's history from Temporal…</Notice>;
  if (timeline.data.phases.length === 0) {
    return (
      <EmptyState title="Nothing has happened yet" icon="◷">
        <p>The workflow has started; its first step appears here as soon as it is scheduled.</p>
      </EmptyState>
    );
  }
  return <Timeline timeline={timeline.data} now={now} />;
}

function DiffTab({ project, subtaskKey, running }: TabProps) {
  const trpc = useTRPC();
  const diff = useQuery({
    ...trpc.subtask.diff.queryOptions({ project, key: subtaskKey }),
    refetchInterval: running ? 5_000 : false,
  });
  if (diff.error)
    return (
      <Notice tone="error" title="The diff could not be read.">
        {errorMessage(diff.error)}
      </Notice>
    );
  if (!diff.data) return <Notice tone="loading">Reading the branch from git…</Notice>;
  if (!diff.data.ready)
    return (
      <EmptyState title="No changes yet" icon="±">
        <p>{diff.data.message}</p>
      </EmptyState>
    );
  if (diff.data.files.length === 0) {
    return (
      <EmptyState title="No changes yet" icon="±">
        <p>
          <code>{diff.data.branch}</code> is still where it started; the agents' commits show up here.
        </p>
      </EmptyState>
    );
  }
  return (
    <div data-testid="diff">
      <p className="diff-summary">
        <code>{diff.data.branch}</code> against <code>{diff.data.baseSha.slice(0, 8)}</code>: {diff.data.files.length}{' '}
        file{diff.data.files.length === 1 ? '' : 's'}, <span className="adds">+{diff.data.additions}</span>{' '}
        <span className="dels">−{diff.data.deletions}</span>
      </p>
      {diff.data.truncated && (
        <Notice tone="warning" title="Truncated." testId="diff-truncated">
          {diff.data.notice}
        </Notice>
      )}
      <DiffViewer text={diff.data.text} files={diff.data.files} />
    </div>
  );
}

function ChecksTab({ project, subtaskKey, running }: TabProps) {
  const trpc = useTRPC();
  const checks = useQuery({
    ...trpc.subtask.checks.queryOptions({ project, key: subtaskKey }),
    refetchInterval: running ? 3_000 : false,
  });
  if (checks.error)
    return (
      <Notice tone="error" title="The check results could not be read.">
        {errorMessage(checks.error)}
      </Notice>
    );
  if (!checks.data) return <Notice tone="loading">Loading the check results…</Notice>;
  return <CheckResults checks={checks.data} />;
}

function CallsTab({ project, subtaskKey, running }: TabProps) {
  const trpc = useTRPC();
  const calls = useQuery({
    ...trpc.subtask.modelCalls.queryOptions({ project, key: subtaskKey }),
    refetchInterval: running ? 3_000 : false,
  });
  if (calls.error)
    return (
      <Notice tone="error" title="The model calls could not be read.">
        {errorMessage(calls.error)}
      </Notice>
    );
  if (!calls.data) return <Notice tone="loading">Loading the cost ledger…</Notice>;
  return <ModelCalls data={calls.data} />;
}

/** The clock, ticking while something runs: running bars grow. */
function useNow(ticking: boolean): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!ticking) return;
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, [ticking]);
  return now;
}
