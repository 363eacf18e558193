import type proto from '@temporalio/proto';
import { decode, firstLine } from './timeline-format.js';
import { type ActivityInput, activityStep } from './timeline-steps.js';
import type { TimelineStep } from './timeline-types.js';

/** The step a scheduled activity makes: its known phase, else the phase its input names, else the current one. */
export function scheduledActivityStep(
  id: number,
  at: string,
  attributes: proto.temporal.api.history.v1.IActivityTaskScheduledEventAttributes,
  currentPhase: string,
): TimelineStep {
  const type = attributes.activityType?.name ?? 'activity';
  const input = (decode(attributes.input?.payloads?.[0]) ?? {}) as ActivityInput;
  const known = activityStep(type);
  return {
    id,
    kind: known?.kind ?? 'activity',
    label: known ? known.label(input) : type,
    phase: known?.phase ?? input.phase ?? currentPhase,
    activityId: attributes.activityId ?? undefined,
    attempt: typeof input.attempt === 'number' ? input.attempt : undefined,
    taskQueue: attributes.taskQueue?.name ?? undefined,
    scheduledAt: at,
    status: 'scheduled',
    activityAttempts: 0,
  };
}

/** The step of an agent's run as a child workflow (its own steps are read from its history: agent-steps.ts). */
export function agentRunStep(
  id: number,
  at: string,
  attributes: proto.temporal.api.history.v1.IStartChildWorkflowExecutionInitiatedEventAttributes,
  currentPhase: string,
): TimelineStep {
  const input = (decode(attributes.input?.payloads?.[0]) ?? {}) as { phase?: ActivityInput; roleQueue?: string };
  const phase = input.phase ?? {};
  return {
    id,
    kind: 'agent',
    label: `Agent run, attempt ${phase.attempt ?? 1}`,
    phase: phase.phase ?? currentPhase,
    childWorkflowId: attributes.workflowId ?? undefined,
    attempt: typeof phase.attempt === 'number' ? phase.attempt : undefined,
    taskQueue: input.roleQueue,
    scheduledAt: at,
    status: 'scheduled',
  };
}

/** Ends an activity's step as completed, with what its result says in one line. */
export function completeActivityStep(step: TimelineStep, at: string, result: unknown): void {
  step.endedAt = at;
  step.status = 'completed';
  const value = (result ?? {}) as Record<string, unknown>;
  switch (step.kind) {
    case 'agent':
      step.outcome =
        typeof value.sha === 'string'
          ? `committed ${value.sha.slice(0, 8)}${typeof value.summary === 'string' ? `: ${firstLine(value.summary)}` : ''}`
          : undefined;
      return;
    case 'check':
      step.passed = value.passed === true;
      step.outcome = typeof value.reason === 'string' ? firstLine(value.reason) : undefined;
      return;
    case 'baseline':
      step.outcome = baselineOutcome(value);
      return;
    case 'workspace':
      step.outcome =
        typeof value.branch === 'string'
          ? `${value.branch} from ${String(value.baseSha ?? '').slice(0, 8)}`
          : undefined;
      return;
    case 'merge':
      step.outcome =
        value.status === 'merged'
          ? `merged as ${String(value.mergeSha ?? '').slice(0, 8)}`
          : `not merged: ${String(value.status ?? 'unknown')}`;
      return;
    case 'rebase':
      step.outcome =
        value.status === 'conflicts'
          ? `conflicts in ${(value.files as string[] | undefined)?.join(', ') ?? 'some files'}`
          : `rebased onto ${String(value.baseSha ?? '').slice(0, 8)}`;
      return;
    case 'review':
      step.outcome = typeof value.guidance === 'string' ? firstLine(value.guidance) : undefined;
      return;
    default:
      return;
  }
}

/**
 * The baseline's outcome: the runner's sentence; for baselines recorded before it, the counts the
 * runs had (a run without a report counted nothing, which is not 0).
 */
function baselineOutcome(value: Record<string, unknown>): string | undefined {
  if (typeof value.sentence === 'string') return value.sentence;
  const runs = Array.isArray(value.runs) ? (value.runs as Array<Record<string, unknown>>) : [];
  if (runs.length > 0 && runs.every((run) => typeof run.passed !== 'number'))
    return runs
      .map((run) => `\`${String(run.command)}\` exited with ${String(run.exitCode)}, tests not counted`)
      .join('; ');
  return `${Number(value.passing ?? 0)} test(s) pass${Number(value.failing ?? 0) > 0 ? `, ${Number(value.failing)} already fail` : ''}`;
}
