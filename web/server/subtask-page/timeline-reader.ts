import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { buildTimeline } from './timeline.js';
import type { Timeline } from './timeline-types.js';

const PendingState = proto.temporal.api.enums.v1.PendingActivityState;
const CACHED_WORKFLOWS = 300;

interface CacheEntry {
  runId: string;
  historyLength: number;
  timeline: Timeline;
}

/** Timelines already built, per workflow: rebuilt only when its history grew. */
const cache = new Map<string, CacheEntry>();

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
