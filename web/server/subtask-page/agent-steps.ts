import proto from '@temporalio/proto';
import { decode, failureText, firstLine, timestampMs } from './timeline-format.js';
import type { AgentStep, CouncilMemberRun, StepStatus } from './timeline-types.js';
import { AGENT_RUN_WORKFLOW } from '../../../workflows/agent-run.shared.js';

type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;
const EventType = proto.temporal.api.enums.v1.EventType;

const TOOL_OUTPUT_CHARS = 160;

interface StepInput {
  step?: number;
  choice?: { id?: string };
  name?: string;
  args?: { path?: unknown };
}

/** The steps of an agent's run (prepare, each model call and tool call, the commit) from its workflow's history. */
export function buildAgentSteps(events: readonly HistoryEvent[]): AgentStep[] {
  const steps = new Map<number, AgentStep>();
  for (const event of events) {
    const id = Number(event.eventId ?? 0);
    const at = new Date(timestampMs(event.eventTime) ?? 0).toISOString();
    switch (event.eventType) {
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: {
        const attributes = event.activityTaskScheduledEventAttributes!;
        const step = scheduledStep(
          id,
          at,
          attributes.activityType?.name ?? '',
          decode(attributes.input?.payloads?.[0]),
        );
        if (step) steps.set(id, step);
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED: {
        const attributes = event.activityTaskStartedEventAttributes!;
        const step = steps.get(Number(attributes.scheduledEventId));
        if (step) Object.assign(step, { startedAt: at, status: 'running', tries: attributes.attempt ?? 1 });
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: {
        const attributes = event.activityTaskCompletedEventAttributes!;
        const step = steps.get(Number(attributes.scheduledEventId));
        if (step)
          Object.assign(step, {
            endedAt: at,
            status: 'completed',
            outcome: outcomeOf(step, decode(attributes.result?.payloads?.[0])),
          });
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
      case EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
      case EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED: {
        const attributes =
          event.activityTaskFailedEventAttributes ??
          event.activityTaskTimedOutEventAttributes ??
          event.activityTaskCanceledEventAttributes;
        const step = steps.get(Number(attributes?.scheduledEventId));
        if (!step) break;
        const failure =
          event.activityTaskFailedEventAttributes?.failure ?? event.activityTaskTimedOutEventAttributes?.failure;
        Object.assign(step, {
          endedAt: at,
          status:
            event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED
              ? 'cancelled'
              : event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT
                ? 'timed_out'
                : 'failed',
          failure: failureText(failure),
        });
        break;
      }
      default:
        break;
    }
  }
  return [...steps.values()];
}

function scheduledStep(id: number, at: string, type: string, decoded: unknown): AgentStep | undefined {
  const input = (decoded ?? {}) as StepInput;
  const base = { id, scheduledAt: at, status: 'scheduled' as const };
  switch (type) {
    case 'prepareAgentRun':
      return { ...base, kind: 'prepare', label: 'Briefing and prompt' };
    case 'agentModelStep':
      return { ...base, kind: 'model', label: `Model call ${input.step ?? ''} to ${input.choice?.id ?? 'the model'}` };
    case 'runAgentTool': {
      const target = typeof input.args?.path === 'string' ? ` ${input.args.path}` : '';
      return { ...base, kind: 'tool', label: `${input.name ?? 'tool'}${target}` };
    }
    case 'commitAgentRun':
      return { ...base, kind: 'commit', label: 'Commit' };
    default:
      return undefined;
  }
}

function outcomeOf(step: AgentStep, decoded: unknown): string | undefined {
  const result = (decoded ?? {}) as Record<string, unknown>;
  switch (step.kind) {
    case 'model': {
      const calls = Array.isArray(result.toolCalls)
        ? (result.toolCalls as Array<{ toolName?: string }>).map((call) => call.toolName ?? '?')
        : [];
      const tokens = `${Number(result.inputTokens ?? 0)} in, ${Number(result.outputTokens ?? 0)} out`;
      if (calls.length > 0) return `calls ${calls.join(', ')} (${tokens})`;
      return typeof result.text === 'string' && result.text
        ? `${firstLine(result.text)} (${tokens})`
        : `answered (${tokens})`;
    }
    case 'tool': {
      const output = typeof result.output === 'string' ? firstLine(result.output) : '';
      return output.length > TOOL_OUTPUT_CHARS ? `${output.slice(0, TOOL_OUTPUT_CHARS - 1)}…` : output;
    }
    case 'commit':
      return typeof result.sha === 'string' ? `committed ${result.sha.slice(0, 8)}` : undefined;
    default:
      return undefined;
  }
}

/**
 * The members' runs of a council, from the council's history: each an agent-run workflow (councils
 * recorded before they were have none); their own steps are read from their histories.
 */
export function councilMembersOf(events: readonly HistoryEvent[]): Array<Omit<CouncilMemberRun, 'steps'>> {
  const members = new Map<number, Omit<CouncilMemberRun, 'steps'>>();
  const ends: Array<[number, StepStatus]> = [];
  for (const event of events) {
    const started = event.startChildWorkflowExecutionInitiatedEventAttributes;
    if (started?.workflowType?.name === AGENT_RUN_WORKFLOW) {
      const input = decode(started.input?.payloads?.[0]) as { phase?: { model?: { id?: string } } } | undefined;
      members.set(Number(event.eventId ?? 0), {
        model: input?.phase?.model?.id ?? '?',
        workflowId: started.workflowId ?? '',
        status: 'scheduled',
      });
    }
    const end = childEnd(event);
    if (end) ends.push(end);
  }
  for (const [initiated, status] of ends) {
    const member = members.get(initiated);
    if (member) member.status = status;
  }
  return [...members.values()];
}

function childEnd(event: HistoryEvent): [number, StepStatus] | undefined {
  const pairs: Array<[{ initiatedEventId?: unknown } | null | undefined, StepStatus]> = [
    [event.childWorkflowExecutionStartedEventAttributes, 'running'],
    [event.childWorkflowExecutionCompletedEventAttributes, 'completed'],
    [event.childWorkflowExecutionFailedEventAttributes, 'failed'],
    [event.childWorkflowExecutionTimedOutEventAttributes, 'timed_out'],
    [event.childWorkflowExecutionCanceledEventAttributes, 'cancelled'],
    [event.childWorkflowExecutionTerminatedEventAttributes, 'failed'],
  ];
  const found = pairs.find(([attributes]) => attributes);
  return found ? [Number(found[0]!.initiatedEventId ?? 0), found[1]] : undefined;
}
