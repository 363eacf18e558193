import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { inferRouterOutputs } from '@trpc/server';
import { useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { AppRouter } from '../../../server/root.js';
import { ApiError } from '../components/ops/ApiError.js';
import { EmptyState } from '../components/Notice.js';
import { PageHead } from '../components/ops/PageHead.js';
import { ProjectSelect } from '../components/ops/ProjectSelect.js';
import { PHASES, phaseName, riskLabel, waited } from '../components/ops/format.js';
import '../components/ops/ops.css';
import './ApprovalsPage.css';
import { useTRPC } from '../trpc.js';

type Approval = inferRouterOutputs<AppRouter>['inbox']['approvals'][number];

/** The approvals inbox: gates waiting for a person, oldest first, each approved or rejected in place. */
export function ApprovalsPage() {
  const trpc = useTRPC();
  const [params, setParams] = useSearchParams();
  const project = params.get('project') ?? '';
  const approvals = useQuery({
    ...trpc.inbox.approvals.queryOptions(project ? { project } : {}),
    refetchInterval: 5_000,
  });
  // Approved or rejected here: kept on the page with the result, though the inbox no longer lists them.
  const [settled, setSettled] = useState<Record<string, Approval>>({});
  const shown = useMemo(() => {
    const listed = approvals.data ?? [];
    const kept = Object.values(settled).filter(
      (approval) => !listed.some((row) => row.id === approval.id) && (!project || approval.project === project),
    );
    return [...listed, ...kept].sort((a, b) => a.requestedAt.localeCompare(b.requestedAt));
  }, [approvals.data, settled, project]);

  return (
    <div className="ops-page approvals-page">
      <PageHead
        title="Approvals"
        subtitle="Gates waiting for a person, oldest first. Medium-risk work waits here before its merge; high-risk work also before any agent acts."
      >
        <ProjectSelect value={project} onChange={(next) => setParams(next ? { project: next } : {})} />
      </PageHead>
      {approvals.error && (
        <ApiError what="the approvals" error={approvals.error} onRetry={() => void approvals.refetch()} />
      )}
      {!approvals.data && !approvals.error && <div className="ops-loading">Loading the approvals…</div>}
      {approvals.data && shown.length === 0 && (
        <EmptyState icon="✓" title="Nothing waits for approval" testId="approvals-empty">
          {project ? (
            <>
              No gate of <strong>{project}</strong> is waiting.{' '}
            </>
          ) : null}
          When a medium- or high-risk subtask reaches a gate it appears here, and stays until someone approves or
          rejects it. Low-risk work merges by itself once its checks pass. From a terminal:{' '}
          <code>maestro approvals</code>.
        </EmptyState>
      )}
      {shown.length > 0 && (
        <ul className="approval-list" data-testid="approvals-list">
          {shown.map((approval) => (
            <ApprovalCard
              key={approval.id}
              approval={approval}
              onSettled={() => setSettled((kept) => ({ ...kept, [approval.id]: approval }))}
            />
          ))}
        </ul>
      )}
    </div>
  );
}

function ApprovalCard({ approval, onSettled }: { approval: Approval; onSettled: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [mode, setMode] = useState<'idle' | 'reject'>('idle');
  const [comment, setComment] = useState('');
  const [returnTo, setReturnTo] = useState<string>(
    approval.returnTo.includes('green') && approval.gate !== 'plan' ? 'green' : (approval.returnTo[0] ?? 'red'),
  );
  const ref = { project: approval.project, key: approval.subtask.key };
  const refresh = () => {
    onSettled();
    return queryClient.invalidateQueries({ queryKey: trpc.inbox.pathKey() });
  };
  const approve = useMutation(trpc.subtask.approve.mutationOptions({ onSuccess: refresh }));
  const reject = useMutation(trpc.subtask.reject.mutationOptions({ onSuccess: refresh }));
  const busy = approve.isPending || reject.isPending;
  const done = approve.data ?? reject.data;
  const failed = approve.error ?? reject.error;
  const long = approval.waitingMs > 24 * 3_600_000 ? 'bad' : approval.waitingMs > 3_600_000 ? 'warn' : '';

  return (
    <li className="approval-card" data-testid={`approval-${approval.project}-${approval.subtask.key}`}>
      <div className="approval-main">
        <div className="approval-title">
          <Link to={`/subtasks/${approval.project}/${approval.subtask.key}`} className="approval-ref">
            {approval.project}/{approval.subtask.key}
          </Link>
          <span className="approval-name">{approval.subtask.title}</span>
        </div>
        <div className="approval-meta">
          <span className={`ops-pill ${approval.gate === 'plan' ? 'info' : ''}`}>
            {approval.gate === 'plan' ? 'Plan · before any agent acts' : 'Merge · into the base branch'}
          </span>
          <span className={`ops-pill risk-${approval.subtask.risk}`}>{riskLabel(approval.subtask.risk)}</span>
          <span className="ops-muted">
            phase <strong>{phaseName(approval.subtask.phase)}</strong> · status{' '}
            {approval.subtask.status.replaceAll('_', ' ')}
          </span>
        </div>
        <div className="approval-who ops-muted">
          Asked by the {approval.requestedBy} on {new Date(approval.requestedAt).toLocaleString()}
          {approval.startedBy ? (
            <>
              {' '}
              · subtask started by <strong>{approval.startedBy}</strong>
            </>
          ) : null}
        </div>
      </div>
      <div
        className={`approval-wait ${long}`}
        title={`waiting since ${new Date(approval.requestedAt).toLocaleString()}`}
      >
        <span className="approval-wait-value">{waited(approval.waitingMs)}</span>
        <span className="approval-wait-label">waiting</span>
      </div>
      <div className="approval-actions">
        {done ? (
          <div className="ops-result ok" role="status">
            {approve.data ? 'Approved' : `Rejected: back to ${phaseName(returnTo)}`}. The subtask is now{' '}
            {done.status.replaceAll('_', ' ')}
            {done.phase ? ` in ${phaseName(done.phase)}` : ''}.
          </div>
        ) : mode === 'reject' ? (
          <form
            className="approval-reject"
            onSubmit={(event) => {
              event.preventDefault();
              reject.mutate({ ...ref, comment, returnTo: returnTo as (typeof PHASES)[number] });
            }}
          >
            <label className="ops-field">
              <span>What should change? (the agents read it)</span>
              <textarea
                value={comment}
                onChange={(event) => setComment(event.target.value)}
                placeholder="The total must round half up, like the invoices."
                required
                minLength={3}
              />
            </label>
            <div className="approval-reject-row">
              <label className="ops-field">
                <span>Send back to</span>
                <select value={returnTo} onChange={(event) => setReturnTo(event.target.value)}>
                  {approval.returnTo.map((phase) => (
                    <option key={phase} value={phase}>
                      {phaseName(phase)}
                    </option>
                  ))}
                </select>
              </label>
              <button type="submit" className="ops-button danger" disabled={busy || comment.trim().length < 3}>
                {reject.isPending ? 'Rejecting…' : 'Reject'}
              </button>
              <button type="button" className="ops-button" onClick={() => setMode('idle')} disabled={busy}>
                Cancel
              </button>
            </div>
          </form>
        ) : (
          <div className="approval-buttons">
            <button type="button" className="ops-button primary" disabled={busy} onClick={() => approve.mutate(ref)}>
              {approve.isPending ? 'Approving…' : 'Approve'}
            </button>
            <button type="button" className="ops-button" disabled={busy} onClick={() => setMode('reject')}>
              Reject…
            </button>
          </div>
        )}
        {failed && (
          <div className="ops-result bad" role="alert">
            {failed.message}
          </div>
        )}
      </div>
    </li>
  );
}
