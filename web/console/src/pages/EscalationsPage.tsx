import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { AppRouter } from '../../../server/root.js';
import { ApiError } from '../components/ops/ApiError.js';
import { EmptyState } from '../components/Notice.js';
import { PageHead } from '../components/ops/PageHead.js';
import { ProjectSelect } from '../components/ops/ProjectSelect.js';
import { PHASES, ago, phaseName, riskLabel, waited } from '../components/ops/format.js';
import '../components/ops/ops.css';
import './EscalationsPage.css';
import { useTRPC } from '../trpc.js';

type EscalationAnswerInput = inferRouterInputs<AppRouter>['escalation']['answer'];

type Escalation = inferRouterOutputs<AppRouter>['inbox']['escalations'][number];

const TIERS: Record<number, string> = {
  1: 'a step failed',
  2: 'after a strategic review',
  3: 'after the AI council',
  4: 'after retries, review and council',
};

/** The escalations inbox: what the ladder could not settle, oldest first, answered with one of its options. */
export function EscalationsPage() {
  const trpc = useTRPC();
  const [params, setParams] = useSearchParams();
  const project = params.get('project') ?? '';
  const escalations = useQuery({
    ...trpc.inbox.escalations.queryOptions(project ? { project } : {}),
    refetchInterval: 5_000,
  });
  // Answered here: kept on the page with the result, though the inbox no longer lists them.
  const [answered, setAnswered] = useState<Record<string, Escalation>>({});
  const shown = useMemo(() => {
    const listed = escalations.data ?? [];
    const kept = Object.values(answered).filter(
      (escalation) => !listed.some((row) => row.id === escalation.id) && (!project || escalation.project === project),
    );
    return [...listed, ...kept].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }, [escalations.data, answered, project]);

  return (
    <div className="ops-page escalations-page">
      <PageHead
        title="Escalations"
        subtitle="Subtasks that stopped for a person: a step that kept failing, or a phase that retries, a strategic review and the AI council could not fix. Each offers two to four options; the recommended one comes first."
      >
        <ProjectSelect value={project} onChange={(next) => setParams(next ? { project: next } : {})} />
      </PageHead>
      {escalations.error && (
        <ApiError what="the escalations" error={escalations.error} onRetry={() => void escalations.refetch()} />
      )}
      {!escalations.data && !escalations.error && <div className="ops-loading">Loading the escalations…</div>}
      {escalations.data && shown.length === 0 && (
        <EmptyState icon="☀" title="No escalation is waiting" testId="escalations-empty">
          {project ? (
            <>
              Nothing of <strong>{project}</strong> needs a person.{' '}
            </>
          ) : null}
          When a phase keeps failing and the escalation ladder cannot fix it, or a step such as the workspace setup
          fails, the subtask stops and its options land here. From a terminal: <code>maestro escalations</code>.
        </EmptyState>
      )}
      {shown.length > 0 && (
        <ul className="escalation-list" data-testid="escalations-list">
          {shown.map((escalation) => (
            <EscalationCard
              key={escalation.id}
              escalation={escalation}
              onAnswered={() => setAnswered((kept) => ({ ...kept, [escalation.id]: escalation }))}
            />
          ))}
        </ul>
      )}
    </div>
  );
}

function EscalationCard({ escalation, onAnswered }: { escalation: Escalation; onAnswered: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [option, setOption] = useState(escalation.recommendedOption ?? escalation.options[0]?.id ?? '');
  const [reason, setReason] = useState('');
  const [hint, setHint] = useState('');
  const chosen = escalation.options.find((candidate) => candidate.id === option);
  const namedModel = /another model: (\S+) has not/.exec(chosen?.detail ?? '')?.[1] ?? '';
  const namedPhase = /^Go back to (\w+)/.exec(chosen?.detail ?? '')?.[1] ?? '';
  const [model, setModel] = useState('');
  const [phase, setPhase] = useState('');
  const answer = useMutation(
    trpc.escalation.answer.mutationOptions({
      onSuccess: () => {
        onAnswered();
        return queryClient.invalidateQueries({ queryKey: trpc.inbox.pathKey() });
      },
    }),
  );
  const budgetOnly = option === 'raise_budget';

  const submit = () => {
    const input: EscalationAnswerInput = {
      id: escalation.id,
      option: option as EscalationAnswerInput['option'],
      reason,
    };
    if ((option === 'retry' || option === 'retry_with_model') && hint.trim()) input.hint = hint.trim();
    if (option === 'retry_with_model' && (model || namedModel)) input.model = model || namedModel;
    if (option === 'reset' && (phase || namedPhase))
      input.phase = (phase || namedPhase) as EscalationAnswerInput['phase'];
    answer.mutate(input);
  };

  return (
    <li className="escalation-card" data-testid={`escalation-${escalation.project}-${escalation.subtask.key}`}>
      <header className="escalation-head">
        <div>
          <div className="escalation-title">
            <Link to={`/subtasks/${escalation.project}/${escalation.subtask.key}`} className="approval-ref">
              {escalation.project}/{escalation.subtask.key}
            </Link>
            <span className="escalation-name">{escalation.subtask.title}</span>
          </div>
          <div className="escalation-meta">
            <span className={`ops-pill ${escalation.tier >= 4 ? 'bad' : 'warn'}`}>
              Tier {escalation.tier} · {TIERS[escalation.tier] ?? 'escalated'}
            </span>
            <span className="ops-pill">in {phaseName(escalation.phase)}</span>
            <span className={`ops-pill risk-${escalation.subtask.risk}`}>{riskLabel(escalation.subtask.risk)}</span>
            {escalation.reminders > 0 && (
              <span
                className="ops-pill warn"
                title={escalation.remindedAt ? `last reminder ${ago(escalation.remindedAt)}` : undefined}
              >
                {escalation.reminders} reminder{escalation.reminders === 1 ? '' : 's'}
              </span>
            )}
          </div>
        </div>
        <div className="approval-wait" title={`open since ${new Date(escalation.createdAt).toLocaleString()}`}>
          <span className="approval-wait-value">{waited(escalation.waitingMs)}</span>
          <span className="approval-wait-label">waiting</span>
        </div>
      </header>
      <p className="escalation-reason">{escalation.reason}</p>
      {answer.data ? (
        <div className="ops-result ok" role="status">
          Answered with <strong>{answer.data.option.replaceAll('_', ' ')}</strong>. The subtask is now{' '}
          {answer.data.status.replaceAll('_', ' ')}
          {answer.data.phase ? ` in ${phaseName(answer.data.phase)}` : ''}.
        </div>
      ) : (
        <form
          className="escalation-form"
          onSubmit={(event) => {
            event.preventDefault();
            submit();
          }}
        >
          <fieldset className="escalation-options">
            <legend>Options</legend>
            {escalation.options.map((candidate) => (
              <label
                key={candidate.id}
                className={`escalation-option${candidate.id === option ? ' chosen' : ''}`}
                data-testid={`option-${candidate.id}`}
              >
                <input
                  type="radio"
                  name={`option-${escalation.id}`}
                  value={candidate.id}
                  checked={candidate.id === option}
                  onChange={() => setOption(candidate.id)}
                />
                <span className="escalation-option-text">
                  <span className="escalation-option-label">
                    {candidate.label}
                    {candidate.recommended && <span className="ops-pill ok">Recommended</span>}
                  </span>
                  {candidate.detail && <span className="ops-muted">{candidate.detail}</span>}
                </span>
              </label>
            ))}
          </fieldset>
          {budgetOnly ? (
            <p className="ops-muted">
              This is answered by raising the project&apos;s budget (an admin: <code>project.setBudget</code>); the
              subtask goes on by itself.
            </p>
          ) : (
            <div className="escalation-inputs">
              <label className="ops-field">
                <span>Why (goes to the audit log)</span>
                <input
                  value={reason}
                  onChange={(event) => setReason(event.target.value)}
                  placeholder="The flaky network test is fixed upstream"
                  required
                  minLength={3}
                />
              </label>
              {(option === 'retry' || option === 'retry_with_model') && (
                <label className="ops-field">
                  <span>Hint for the next attempt (optional)</span>
                  <input
                    value={hint}
                    onChange={(event) => setHint(event.target.value)}
                    placeholder="Round with Math.round(x * 100) / 100"
                  />
                </label>
              )}
              {option === 'retry_with_model' && (
                <label className="ops-field">
                  <span>Model</span>
                  <input
                    value={model}
                    onChange={(event) => setModel(event.target.value)}
                    placeholder={namedModel || 'a model id from the registry'}
                  />
                </label>
              )}
              {option === 'reset' && (
                <label className="ops-field">
                  <span>Go back to</span>
                  <select value={phase || namedPhase} onChange={(event) => setPhase(event.target.value)}>
                    {PHASES.filter((candidate) => candidate !== 'complete').map((candidate) => (
                      <option key={candidate} value={candidate}>
                        {phaseName(candidate)}
                      </option>
                    ))}
                  </select>
                </label>
              )}
              <button
                type="submit"
                className="ops-button primary"
                disabled={answer.isPending || reason.trim().length < 3 || !option}
              >
                {answer.isPending ? 'Answering…' : `Answer: ${chosen?.label ?? option}`}
              </button>
            </div>
          )}
          {answer.error && (
            <div className="ops-result bad" role="alert">
              {answer.error.message}
            </div>
          )}
        </form>
      )}
    </li>
  );
}
