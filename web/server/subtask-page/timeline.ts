import proto from '@temporalio/proto';
import { COUNCIL_WORKFLOW } from '../../../workflows/council.shared.js';
import type { SubtaskLocalActivityName } from '../../../workflows/subtask/history.shared.js';
import { approveUpdate, overrideUpdate, rejectUpdate } from '../../../workflows/subtask/subtask.shared.js';
import { decode, describeMs, failureText, firstLine, timestampMs } from './timeline-format.js';
import { lastEnd, visitStatus } from './timeline-status.js';
import { type ActivityInput, activityStep } from './timeline-steps.js';
import { COMPLETE, PLAN, SETUP, type Timeline, type TimelineDecision, type TimelineStep } from './timeline-types.js';

type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;
const EventType = proto.temporal.api.enums.v1.EventType;

interface LocalActivityMarker {
  /** Every local activity of the subtask workflow is one of its progress writes. */
  activity_type?: SubtaskLocalActivityName;
}

/** Builds the phase timeline of a subtask workflow from its real Temporal history. */
export function buildTimeline(workflowId: string, events: readonly HistoryEvent[]): Timeline {
  const builder = new TimelineBuilder(workflowId);
  for (const event of events) builder.add(event);
  return builder.finish();
}

class TimelineBuilder {
  private readonly timeline: Timeline;
  private readonly activities = new Map<number, TimelineStep>();
  private readonly timers = new Map<string, TimelineStep>();
  private readonly children = new Map<number, TimelineStep>();
  private openApproval: TimelineStep | undefined;
  private openEscalation: TimelineStep | undefined;
  private workStarted = false;

  constructor(workflowId: string) {
    this.timeline = { workflowId, status: 'running', lastEventId: 0, phases: [], decisions: [] };
  }

  add(event: HistoryEvent): void {
    const id = Number(event.eventId ?? 0);
    const at = new Date(timestampMs(event.eventTime) ?? 0).toISOString();
    this.timeline.lastEventId = Math.max(this.timeline.lastEventId, id);
    switch (event.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
        this.timeline.startedAt = at;
        this.timeline.runId = event.workflowExecutionStartedEventAttributes?.originalExecutionRunId ?? undefined;
        return;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        return this.activityScheduled(id, at, event.activityTaskScheduledEventAttributes!);
      case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED: {
        const attributes = event.activityTaskStartedEventAttributes!;
        const step = this.activities.get(Number(attributes.scheduledEventId));
        if (step) Object.assign(step, { startedAt: at, status: 'running', activityAttempts: attributes.attempt ?? 1 });
        return;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: {
        const attributes = event.activityTaskCompletedEventAttributes!;
        const step = this.activities.get(Number(attributes.scheduledEventId));
        if (step) this.activityCompleted(step, at, decode(attributes.result?.payloads?.[0]));
        return;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED: {
        const attributes = event.activityTaskFailedEventAttributes!;
        const step = this.activities.get(Number(attributes.scheduledEventId));
        if (step) Object.assign(step, { endedAt: at, status: 'failed', failure: failureText(attributes.failure) });
        return;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: {
        const attributes = event.activityTaskTimedOutEventAttributes!;
        const step = this.activities.get(Number(attributes.scheduledEventId));
        if (step)
          Object.assign(step, {
            endedAt: at,
            status: 'timed_out',
            failure: failureText(attributes.failure) ?? 'timed out',
          });
        return;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED: {
        const step = this.activities.get(Number(event.activityTaskCanceledEventAttributes?.scheduledEventId));
        if (step) Object.assign(step, { endedAt: at, status: 'cancelled' });
        return;
      }
      case EventType.EVENT_TYPE_TIMER_STARTED: {
        const attributes = event.timerStartedEventAttributes!;
        const ms = timestampMs(attributes.startToFireTimeout) ?? 0;
        const step: TimelineStep = {
          id,
          kind: 'wait',
          label: `Waiting up to ${describeMs(ms)}`,
          phase: this.currentPhase(),
          scheduledAt: at,
          startedAt: at,
          status: 'waiting',
        };
        this.timers.set(attributes.timerId ?? String(id), step);
        this.push(step);
        return;
      }
      case EventType.EVENT_TYPE_TIMER_FIRED: {
        const step = this.timers.get(event.timerFiredEventAttributes?.timerId ?? '');
        if (step)
          Object.assign(step, {
            endedAt: at,
            status: 'completed',
            label: step.label.replace('Waiting up to', 'Waited'),
          });
        return;
      }
      case EventType.EVENT_TYPE_TIMER_CANCELED: {
        // A condition's timeout that was not needed: the wait it guarded is shown by its gate or escalation.
        const step = this.timers.get(event.timerCanceledEventAttributes?.timerId ?? '');
        if (step) this.remove(step);
        return;
      }
      case EventType.EVENT_TYPE_MARKER_RECORDED:
        return this.marker(id, at, event.markerRecordedEventAttributes!);
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
        return this.updateAccepted(id, at, event.workflowExecutionUpdateAcceptedEventAttributes!);
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: {
        const attributes = event.workflowExecutionSignaledEventAttributes!;
        const input = decode(attributes.input?.payloads?.[0]) as { actor?: string; key?: string } | undefined;
        this.decide({
          id,
          at,
          actor: input?.actor ?? attributes.identity ?? 'unknown',
          kind: 'signal',
          action: attributes.signalName ?? 'signal',
          detail: input?.key ? `dependency ${input.key} completed` : undefined,
          phase: this.currentPhase(),
        });
        return;
      }
      case EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED: {
        const attributes = event.startChildWorkflowExecutionInitiatedEventAttributes!;
        const step: TimelineStep = {
          id,
          kind: 'council',
          label:
            attributes.workflowType?.name === COUNCIL_WORKFLOW
              ? 'AI council'
              : `Child workflow ${attributes.workflowType?.name ?? ''}`.trim(),
          phase: this.currentPhase(),
          scheduledAt: at,
          status: 'scheduled',
          outcome: attributes.workflowId ?? undefined,
        };
        this.children.set(id, step);
        this.push(step);
        return;
      }
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED: {
        const step = this.children.get(Number(event.childWorkflowExecutionStartedEventAttributes?.initiatedEventId));
        if (step) Object.assign(step, { startedAt: at, status: 'running' });
        return;
      }
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED: {
        const attributes = event.childWorkflowExecutionCompletedEventAttributes!;
        const step = this.children.get(Number(attributes.initiatedEventId));
        const result = decode(attributes.result?.payloads?.[0]) as
          { winner?: { model?: string }; reason?: string } | undefined;
        if (step)
          Object.assign(step, {
            endedAt: at,
            status: 'completed',
            outcome: result?.winner?.model ? `winner: ${result.winner.model}` : (result?.reason ?? 'no winner'),
          });
        return;
      }
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED:
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED:
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED:
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT: {
        const attributes =
          event.childWorkflowExecutionFailedEventAttributes ??
          event.childWorkflowExecutionCanceledEventAttributes ??
          event.childWorkflowExecutionTerminatedEventAttributes ??
          event.childWorkflowExecutionTimedOutEventAttributes;
        const step = this.children.get(Number(attributes?.initiatedEventId));
        const failed = event.childWorkflowExecutionFailedEventAttributes?.failure;
        if (step)
          Object.assign(step, {
            endedAt: at,
            status: event.eventType === EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED ? 'cancelled' : 'failed',
            failure: failureText(failed),
          });
        return;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
        return this.close(at, 'completed');
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
        return this.close(at, 'failed');
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
        return this.close(at, 'cancelled');
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
        return this.close(at, 'terminated');
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
        return this.close(at, 'timed_out');
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
        return this.close(at, 'continued_as_new');
      default:
        return;
    }
  }

  finish(): Timeline {
    const phases = this.timeline.phases;
    phases.forEach((visit, index) => {
      const later = index < phases.length - 1;
      visit.endedAt = later ? (lastEnd(visit) ?? phases[index + 1]!.startedAt) : lastEnd(visit);
      visit.status = visitStatus(visit, later, this.timeline.status);
      if (!later && this.timeline.status === 'running') visit.endedAt = undefined;
    });
    return this.timeline;
  }

  // --- events ---------------------------------------------------------------------------------

  private activityScheduled(
    id: number,
    at: string,
    attributes: proto.temporal.api.history.v1.IActivityTaskScheduledEventAttributes,
  ) {
    const type = attributes.activityType?.name ?? 'activity';
    const input = (decode(attributes.input?.payloads?.[0]) ?? {}) as ActivityInput;
    const known = activityStep(type);
    const phase = known?.phase ?? input.phase ?? this.currentPhase();
    if (phase !== PLAN) this.workStarted = true;
    const step: TimelineStep = {
      id,
      kind: known?.kind ?? 'activity',
      label: known ? known.label(input) : type,
      phase,
      activityId: attributes.activityId ?? undefined,
      attempt: typeof input.attempt === 'number' ? input.attempt : undefined,
      taskQueue: attributes.taskQueue?.name ?? undefined,
      scheduledAt: at,
      status: 'scheduled',
      activityAttempts: 0,
    };
    this.activities.set(id, step);
    this.push(step);
  }

  private activityCompleted(step: TimelineStep, at: string, result: unknown) {
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

  private marker(id: number, at: string, attributes: proto.temporal.api.history.v1.IMarkerRecordedEventAttributes) {
    const details = decode(attributes.details?.data?.payloads?.[0]) as LocalActivityMarker | undefined;
    switch (details?.activity_type) {
      case 'openApproval': {
        const phase = this.workStarted ? COMPLETE : PLAN;
        const step: TimelineStep = {
          id,
          kind: 'approval',
          label: phase === PLAN ? 'Waiting for approval of the plan' : 'Waiting for approval of the merge',
          phase,
          scheduledAt: at,
          startedAt: at,
          status: 'waiting',
        };
        this.openApproval = step;
        this.push(step);
        return;
      }
      case 'decideApproval':
        if (this.openApproval) {
          this.openApproval.endedAt = at;
          if (this.openApproval.status === 'waiting') this.openApproval.status = 'cancelled';
          this.openApproval = undefined;
        }
        return;
      case 'openEscalation': {
        const step: TimelineStep = {
          id,
          kind: 'escalation',
          label: 'Waiting for a person',
          phase: this.currentPhase(),
          scheduledAt: at,
          startedAt: at,
          status: 'waiting',
        };
        this.openEscalation = step;
        this.push(step);
        return;
      }
      case 'resolveEscalation':
        if (this.openEscalation) {
          this.openEscalation.endedAt = at;
          if (this.openEscalation.status === 'waiting') this.openEscalation.status = 'completed';
          this.openEscalation = undefined;
        }
        return;
      default:
        return;
    }
  }

  private updateAccepted(
    id: number,
    at: string,
    attributes: proto.temporal.api.history.v1.IWorkflowExecutionUpdateAcceptedEventAttributes,
  ) {
    const name = attributes.acceptedRequest?.input?.name ?? 'update';
    const args = (decode(attributes.acceptedRequest?.input?.args?.payloads?.[0]) ?? {}) as Record<string, unknown>;
    const actor =
      typeof args.actor === 'string' ? args.actor : (attributes.acceptedRequest?.meta?.identity ?? 'unknown');
    if (name === approveUpdate.name || name === rejectUpdate.name) {
      const approved = name === approveUpdate.name;
      const kind = approved ? 'approve' : 'reject';
      const gate = this.openApproval;
      if (gate) {
        gate.status = approved ? 'completed' : 'failed';
        gate.actor = actor;
        gate.outcome = approved
          ? `approved by ${actor}${args.comment ? `: ${String(args.comment)}` : ''}`
          : `rejected by ${actor}, back to ${String(args.returnTo)}: ${String(args.comment ?? '')}`;
      }
      this.decide({
        id,
        at,
        actor,
        kind,
        action: kind,
        detail: approved
          ? typeof args.comment === 'string' && args.comment
            ? args.comment
            : undefined
          : `back to ${String(args.returnTo)}: ${String(args.comment ?? '')}`,
        phase: gate?.phase ?? this.currentPhase(),
      });
      return;
    }
    if (name === overrideUpdate.name) {
      const action = typeof args.action === 'string' ? args.action : 'override';
      const details = [
        typeof args.phase === 'string' ? `to ${args.phase}` : undefined,
        typeof args.role === 'string' ? `${args.role} → ${String(args.taskQueue)}` : undefined,
        typeof args.model === 'string' ? `with ${args.model}` : undefined,
        typeof args.reason === 'string' && args.reason ? args.reason : undefined,
        typeof args.hint === 'string' && args.hint ? `hint: ${args.hint}` : undefined,
      ].filter(Boolean);
      if (this.openEscalation && action !== 'pause' && action !== 'resume' && action !== 'reassign') {
        this.openEscalation.actor = actor;
        this.openEscalation.outcome = `answered by ${actor}: ${action.replace('_', ' ')}`;
      }
      if (this.openApproval && (action === 'force_complete' || action === 'cancel' || action === 'reset')) {
        this.openApproval.actor = actor;
        this.openApproval.status = action === 'force_complete' ? 'completed' : 'cancelled';
        this.openApproval.outcome = `${action.replace('_', ' ')} by ${actor}`;
      }
      this.decide({
        id,
        at,
        actor,
        kind: 'override',
        action,
        detail: details.join(' · ') || undefined,
        phase: this.currentPhase(),
      });
    }
  }

  private close(at: string, status: Timeline['status']) {
    this.timeline.status = status;
    this.timeline.closedAt = at;
    for (const step of [...this.timers.values()]) if (step.status === 'waiting') this.remove(step);
  }

  // --- phases ---------------------------------------------------------------------------------

  private currentPhase(): string {
    return this.timeline.phases.at(-1)?.phase ?? (this.workStarted ? SETUP : PLAN);
  }

  private push(step: TimelineStep) {
    let visit = this.timeline.phases.at(-1);
    if (!visit || visit.phase !== step.phase) {
      visit = {
        phase: step.phase,
        startedAt: step.scheduledAt,
        status: 'running',
        attempts: 0,
        steps: [],
        decisions: [],
      };
      this.timeline.phases.push(visit);
    }
    visit.steps.push(step);
    if (step.attempt !== undefined) visit.attempts = Math.max(visit.attempts, step.attempt);
  }

  private remove(step: TimelineStep) {
    for (const visit of this.timeline.phases) {
      const index = visit.steps.indexOf(step);
      if (index >= 0) visit.steps.splice(index, 1);
    }
    this.timeline.phases = this.timeline.phases.filter((visit) => visit.steps.length > 0 || visit.decisions.length > 0);
  }

  private decide(decision: TimelineDecision) {
    this.timeline.decisions.push(decision);
    let visit = [...this.timeline.phases].reverse().find((candidate) => candidate.phase === decision.phase);
    if (!visit) {
      visit = {
        phase: decision.phase,
        startedAt: decision.at,
        status: 'running',
        attempts: 0,
        steps: [],
        decisions: [],
      };
      this.timeline.phases.push(visit);
    }
    visit.decisions.push(decision);
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
