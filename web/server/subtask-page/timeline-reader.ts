import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { buildTimeline } from './timeline.js';
import type { AgentStep, CouncilMemberRun, Timeline } from './timeline-types.js';
import { buildAgentSteps, councilMembersOf } from './agent-steps.js';

const PendingState = proto.temporal.api.enums.v1.PendingActivityState;
const CACHED_WORKFLOWS = 300;

interface CacheEntry {
  runId: string;
  historyLength: number;
  timeline: Timeline;
}

/** Timelines already built, per workflow: rebuilt only when its history grew. */
const cache = new Map<string, CacheEntry>();
/** The steps of agent runs that ended: their histories no longer change. */
const endedAgentRuns = new Map<string, AgentStep[]>();
const CACHED_AGENT_RUNS = 2_000;

/** An agent run's steps from its own history (a run that ended is read once). */
async function agentStepsOf(client: Client, workflowId: string): Promise<AgentStep[]> {
  const ended = endedAgentRuns.get(workflowId);
  if (ended) return structuredClone(ended);
  const handle = client.workflow.getHandle(workflowId);
  try {
    const history = await handle.fetchHistory();
    const events = history.events ?? [];
    const steps = buildAgentSteps(events);
    if (events.some((event) => CLOSING_EVENTS.has(event.eventType ?? 0))) {
      endedAgentRuns.set(workflowId, structuredClone(steps));
      while (endedAgentRuns.size > CACHED_AGENT_RUNS) endedAgentRuns.delete(endedAgentRuns.keys().next().value!);
    }
    return steps;
  } catch {
    // Gone past its retention: the parent's step still says how it ended.
    return [];
  }
}

/** A council's members' runs, each with its own steps. */
async function councilMembersRuns(client: Client, workflowId: string): Promise<CouncilMemberRun[]> {
  try {
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const members = councilMembersOf(history.events ?? []);
    return Promise.all(
      members.map(async (member) => ({
        ...member,
        steps: member.status === 'scheduled' ? [] : await agentStepsOf(client, member.workflowId),
      })),
    );
  } catch {
    return [];
  }
}

const EventType = proto.temporal.api.enums.v1.EventType;
const CLOSING_EVENTS = new Set<number>([
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
]);

/**
 * The timeline of a subtask from its workflow's history, and what Temporal says right now of the
 * activities still running (their tries so far, the last failure of one being retried).
 */
export async function readTimeline(client: Client, workflowId: string): Promise<Timeline> {
  const handle = client.workflow.getHandle(workflowId);
  const description = await handle.describe();
  const cached = cache.get(workflowId);
  let timeline: Timeline;
  if (cached && cached.runId === description.runId && cached.historyLength === description.historyLength) {
    timeline = structuredClone(cached.timeline);
  } else {
    const history = await client.workflow.getHandle(workflowId, description.runId).fetchHistory();
    timeline = buildTimeline(workflowId, history.events ?? []);
    cache.delete(workflowId);
    cache.set(workflowId, {
      runId: description.runId,
      historyLength: description.historyLength,
      timeline: structuredClone(timeline),
    });
    while (cache.size > CACHED_WORKFLOWS) cache.delete(cache.keys().next().value!);
  }
  await Promise.all(
    timeline.phases
      .flatMap((visit) => visit.steps)
      .filter((step) => step.childWorkflowId && step.status !== 'scheduled')
      .map(async (step) => {
        step.agentSteps = await agentStepsOf(client, step.childWorkflowId!);
      }),
  );
  await Promise.all(
    timeline.phases
      .flatMap((visit) => visit.steps)
      .filter((step) => step.councilWorkflowId && step.status !== 'scheduled')
      .map(async (step) => {
        step.councilMembers = await councilMembersRuns(client, step.councilWorkflowId!);
      }),
  );
  for (const pending of description.raw.pendingActivities ?? []) {
    const step = timeline.phases
      .flatMap((visit) => visit.steps)
      .find((candidate) => candidate.activityId === pending.activityId && !candidate.endedAt);
    if (!step) continue;
    step.activityAttempts = pending.attempt ?? step.activityAttempts;
    if (pending.state === PendingState.PENDING_ACTIVITY_STATE_STARTED) step.status = 'running';
    if (pending.lastFailure?.message)
      step.failure = `try ${Math.max(1, (pending.attempt ?? 2) - 1)} failed: ${pending.lastFailure.message.split('\n')[0]}; retrying`;
  }
  return timeline;
}
