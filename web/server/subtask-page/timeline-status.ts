import { COMPLETE, PLAN, SETUP, type Timeline, type TimelinePhase, type VisitStatus } from './timeline-types.js';

/** How a stay in a phase went, from its steps and decisions and whether a later stay followed it. */
export function visitStatus(visit: TimelinePhase, later: boolean, workflow: Timeline['status']): VisitStatus {
  if (visit.decisions.some((decision) => decision.kind === 'override' && decision.action === 'skip')) return 'skipped';
  const steps = visit.steps;
  if (visit.phase === SETUP)
    return steps.some((step) => step.kind === 'baseline' && step.status === 'completed')
      ? 'passed'
      : later
        ? 'failed'
        : statusWhileOpen(visit, workflow);
  if (visit.phase === PLAN || visit.phase === COMPLETE) {
    if (steps.some((step) => step.kind === 'merge' && step.outcome?.startsWith('merged'))) return 'passed';
    if (steps.some((step) => step.kind === 'approval' && step.status === 'failed')) return 'failed';
    if (visit.phase === PLAN && steps.some((step) => step.kind === 'approval' && step.status === 'completed'))
      return 'passed';
    return later ? 'done' : statusWhileOpen(visit, workflow);
  }
  const checks = steps.filter((step) => step.kind === 'check' && step.status === 'completed');
  if (checks.at(-1)?.passed) return 'passed';
  if (later) return checks.length > 0 || steps.some((step) => step.status === 'failed') ? 'failed' : 'done';
  return statusWhileOpen(visit, workflow);
}

function statusWhileOpen(visit: TimelinePhase, workflow: Timeline['status']): VisitStatus {
  if (workflow === 'cancelled' || workflow === 'terminated') return 'cancelled';
  if (workflow !== 'running')
    return visit.decisions.some((decision) => decision.action === 'cancel') ? 'cancelled' : 'done';
  if (visit.steps.some((step) => step.status === 'waiting' && (step.kind === 'approval' || step.kind === 'escalation')))
    return 'waiting';
  return 'running';
}

export function lastEnd(visit: TimelinePhase): string | undefined {
  const ends = [
    ...visit.steps.map((step) => step.endedAt ?? step.startedAt ?? step.scheduledAt),
    ...visit.decisions.map((decision) => decision.at),
  ];
  return ends.sort().at(-1);
}
