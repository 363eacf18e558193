import proto from '@temporalio/proto';
import { COUNCIL_WORKFLOW } from '../../../workflows/council.shared.js';
import type { SubtaskLocalActivityName } from '../../../workflows/subtask/history.shared.js';
import { decode, describeMs, failureText, timestampMs } from './timeline-format.js';
import { lastEnd, visitStatus } from './timeline-status.js';
import { agentRunStep, completeActivityStep, scheduledActivityStep } from './timeline-activities.js';
import { AGENT_RUN_WORKFLOW } from '../../../workflows/agent-run.shared.js';
import { COMPLETE, PLAN, SETUP, type Timeline, type TimelineDecision, type TimelineStep } from './timeline-types.js';
import { acceptedUpdateDecision, signalDecision } from './timeline-updates.js';

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
        if (step) completeActivityStep(step, at, decode(attributes.result?.payloads?.[0]));
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
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: {
        const gates = { approval: this.openApproval, escalation: this.openEscalation };
        const attributes = event.workflowExecutionUpdateAcceptedEventAttributes!;
        const decision = acceptedUpdateDecision(id, at, attributes, gates, this.currentPhase());
        if (decision) this.decide(decision);
        return;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
        return this.decide(
          signalDecision(id, at, event.workflowExecutionSignaledEventAttributes!, this.currentPhase()),
        );
      case EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED: {
        const attributes = event.startChildWorkflowExecutionInitiatedEventAttributes!;
        if (attributes.workflowType?.name === AGENT_RUN_WORKFLOW) {
          const step = agentRunStep(id, at, attributes, this.currentPhase());
          this.children.set(id, step);
          this.push(step);
          return;
        }
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
          councilWorkflowId:
            attributes.workflowType?.name === COUNCIL_WORKFLOW ? (attributes.workflowId ?? undefined) : undefined,
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
        if (step?.kind === 'agent') return completeActivityStep(step, at, decode(attributes.result?.payloads?.[0]));
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
    const step = scheduledActivityStep(id, at, attributes, this.currentPhase());
    if (step.phase !== PLAN) this.workStarted = true;
    this.activities.set(id, step);
    this.push(step);
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
