import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '../../../server/root.js';
import { clock, phaseLabel, preciseDuration } from '../format.js';
import './Timeline.css';

type TimelineData = inferRouterOutputs<AppRouter>['subtask']['timeline'];
type Visit = TimelineData['phases'][number];
type Step = Visit['steps'][number];
type Decision = Visit['decisions'][number];

const STEP_ICONS: Record<string, string> = {
  workspace: '⎇',
  baseline: '◎',
  agent: '✎',
  check: '✓',
  review: '☰',
  merge: '⤵',
  rebase: '↻',
  council: '⚖',
  activity: '•',
  approval: '◈',
  escalation: '⚑',
  wait: '◷',
};

const VISIT_LABELS: Record<string, string> = {
  running: 'running',
  passed: 'passed',
  failed: 'failed',
  skipped: 'skipped',
  waiting: 'waiting',
  cancelled: 'cancelled',
  done: 'done',
};

/** The phases as the workflow's history tells them: each stay in a phase, its steps on a time axis, and who decided what. */
export function Timeline({ timeline, now }: { timeline: TimelineData; now: number }) {
  const start = Date.parse(timeline.startedAt ?? timeline.phases[0]?.startedAt ?? new Date(now).toISOString());
  const end = timeline.closedAt ? Date.parse(timeline.closedAt) : now;
  const span = Math.max(1, end - start);
  return (
    <div className="timeline" data-testid="timeline">
      <div className="timeline-legend">
        <span>
          Started {clock(new Date(start))}
          {timeline.closedAt ? ` · ended ${clock(timeline.closedAt)}` : ' · running'} · {preciseDuration(end - start)}{' '}
          in all
        </span>
        <span className="muted">{timeline.lastEventId} history events</span>
      </div>
      {timeline.phases.map((visit, index) => (
        <PhaseVisit key={`${visit.phase}-${index}`} visit={visit} start={start} span={span} now={now} />
      ))}
    </div>
  );
}

function PhaseVisit({ visit, start, span, now }: { visit: Visit; start: number; span: number; now: number }) {
  const begin = Date.parse(visit.startedAt);
  const finish = visit.endedAt ? Date.parse(visit.endedAt) : now;
  // In history order: events written in the same instant keep the order the workflow wrote them in.
  const rows: Array<{ id: number; step?: Step; decision?: Decision }> = [
    ...visit.steps.map((step) => ({ id: step.id, step })),
    ...visit.decisions.map((decision) => ({ id: decision.id, decision })),
  ].sort((a, b) => a.id - b.id);
  return (
    <section
      className={`visit visit-${visit.status}`}
      data-testid={`timeline-phase-${visit.phase}`}
      data-status={visit.status}
    >
      <header className="visit-header">
        <span className={`visit-dot dot-${visit.status}`} aria-hidden />
        <span className="visit-name">{phaseLabel(visit.phase)}</span>
        <span className={`visit-status vs-${visit.status}`}>{VISIT_LABELS[visit.status] ?? visit.status}</span>
        {visit.attempts > 1 && <span className="visit-attempts">{visit.attempts} attempts</span>}
        <span className="visit-time">
          {clock(visit.startedAt)} · {preciseDuration(finish - begin)}
        </span>
      </header>
      <ol className="steps">
        {rows.map((row) =>
          row.step ? (
            <StepRow key={`s${row.step.id}`} step={row.step} start={start} span={span} now={now} />
          ) : (
            <DecisionRow key={`d${row.decision!.id}`} decision={row.decision!} />
          ),
        )}
      </ol>
    </section>
  );
}

const MEMBER_TONES: Record<string, string> = { completed: 'ok', failed: 'bad', timed_out: 'bad', running: 'neutral' };

const AGENT_STEP_ICONS: Record<string, string> = { prepare: '☰', model: '◆', tool: '⚙', commit: '⎇' };

/** An agent run's own steps: each model call, each tool call and its result, the commit. */
function AgentSteps({ steps }: { steps: NonNullable<Step['agentSteps']> }) {
  return (
    <details className="agent-steps" data-testid="agent-steps">
      <summary>
        {steps.length} agent step{steps.length === 1 ? '' : 's'}: {steps.filter((step) => step.kind === 'model').length}{' '}
        model calls, {steps.filter((step) => step.kind === 'tool').length} tool calls
      </summary>
      <ol>
        {steps.map((step) => (
          <li
            key={step.id}
            className={`agent-step agent-step-${step.status}`}
            data-testid="agent-step"
            data-kind={step.kind}
          >
            <span aria-hidden>{AGENT_STEP_ICONS[step.kind] ?? '•'}</span>{' '}
            <span className="agent-step-label">{step.label}</span>
            {(step.tries ?? 0) > 1 && <span className="badge warn">{step.tries} tries</span>}
            {step.status === 'running' && <span className="badge neutral">running</span>}
            {(step.failure || step.outcome) && (
              <span className={`agent-step-outcome${step.failure ? ' failure' : ''}`}>
                {' '}
                — {step.failure ?? step.outcome}
              </span>
            )}
            {step.startedAt && step.endedAt && (
              <span className="agent-step-time">
                {' '}
                {preciseDuration(Date.parse(step.endedAt) - Date.parse(step.startedAt))}
              </span>
            )}
          </li>
        ))}
      </ol>
    </details>
  );
}

function StepRow({ step, start, span, now }: { step: Step; start: number; span: number; now: number }) {
  const from = Date.parse(step.startedAt ?? step.scheduledAt);
  const to = step.endedAt ? Date.parse(step.endedAt) : now;
  const left = ((from - start) / span) * 100;
  const width = Math.max(0.6, ((to - from) / span) * 100);
  const tone = step.kind === 'check' && step.status === 'completed' ? (step.passed ? 'ok' : 'bad') : step.status;
  return (
    <li className={`step step-${tone}`} data-testid="timeline-step" data-kind={step.kind}>
      <span className="step-icon" aria-hidden>
        {STEP_ICONS[step.kind] ?? '•'}
      </span>
      <div className="step-main">
        <div className="step-label">
          {step.label}
          {step.kind === 'check' && step.status === 'completed' && (
            <span className={`badge ${step.passed ? 'ok' : 'bad'}`}>{step.passed ? 'passed' : 'failed'}</span>
          )}
          {step.status === 'running' && <span className="badge neutral">running</span>}
          {step.status === 'waiting' && <span className="badge warn">waiting</span>}
          {(step.status === 'failed' || step.status === 'timed_out') && step.kind !== 'approval' && (
            <span className="badge bad">{step.status.replace('_', ' ')}</span>
          )}
          {step.status === 'cancelled' && <span className="badge neutral">cancelled</span>}
          {(step.activityAttempts ?? 0) > 1 && <span className="badge warn">{step.activityAttempts} tries</span>}
        </div>
        {(step.outcome || step.failure) && (
          <div className={`step-outcome${step.failure ? ' failure' : ''}`}>{step.failure ?? step.outcome}</div>
        )}
        {step.agentSteps && step.agentSteps.length > 0 && <AgentSteps steps={step.agentSteps} />}
        {step.councilMembers && step.councilMembers.length > 0 && (
          <ul className="council-members" data-testid="council-members">
            {step.councilMembers.map((member) => (
              <li key={member.workflowId} data-testid="council-member" data-model={member.model}>
                <span className="council-member-model">{member.model}</span>{' '}
                <span className={`badge ${MEMBER_TONES[member.status] ?? 'neutral'}`}>
                  {member.status.replace('_', ' ')}
                </span>
                {member.steps.length > 0 && <AgentSteps steps={member.steps} />}
              </li>
            ))}
          </ul>
        )}
        <div className="step-bar" aria-hidden>
          <span
            className={`bar bar-${tone}`}
            style={{ left: `${Math.min(99.4, left)}%`, width: `${Math.min(100 - left, width)}%` }}
          />
        </div>
      </div>
      <div className="step-time">
        <span>{clock(step.startedAt ?? step.scheduledAt)}</span>
        <span className="muted">
          {step.endedAt || step.status === 'running' || step.status === 'waiting'
            ? preciseDuration(to - from)
            : 'queued'}
        </span>
        {step.taskQueue && <span className="step-queue">{step.taskQueue.replace(/^maestro-/, '')}</span>}
      </div>
    </li>
  );
}

function DecisionRow({ decision }: { decision: Decision }) {
  const verb =
    decision.kind === 'approve'
      ? 'approved'
      : decision.kind === 'reject'
        ? 'rejected'
        : decision.kind === 'signal'
          ? `signalled ${decision.action}`
          : `${decision.action.replace('_', ' ')}`;
  return (
    <li className={`decision decision-${decision.kind}`} data-testid="timeline-decision">
      <span className="step-icon person" aria-hidden>
        ☺
      </span>
      <div className="step-main">
        <div className="step-label">
          <strong>{decision.actor}</strong> {verb}
        </div>
        {decision.detail && <div className="step-outcome">{decision.detail}</div>}
      </div>
      <div className="step-time">
        <span>{clock(decision.at)}</span>
      </div>
    </li>
  );
}
