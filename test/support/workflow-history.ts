import { type WorkflowHandle, WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure, defaultPayloadConverter } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { tsToMs } from '@temporalio/common/lib/time.js';
import proto from '@temporalio/proto';
import type { ScriptedConversation, ScriptedTurn } from '../../stack/scripted-model/script.js';
import { finish } from '../../stack/demo/cart-tax-script.js';
import type { PhaseName } from '../../domain/phases.js';
import { expect } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../runtime/project-root.js';
import {
  type OverrideInput,
  type SubtaskOutcome,
  approveUpdate,
  overrideUpdate,
  rejectUpdate,
  stateQuery,
} from '../../workflows/subtask/subtask.shared.js';

/** What a workflow's history shows, and the scripted agents the workflow tests use. */

const { EventType } = proto.temporal.api.enums.v1;
type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;

/**
 * Saves a finished workflow's history under test/histories when RECORD_HISTORIES is set, with its id
 * beside it, for the replay test: a new path of the workflow gets a recording.
 */
export async function recordHistory(handle: WorkflowHandle, name: string): Promise<void> {
  if (!process.env.RECORD_HISTORIES) return;
  const folder = path.join(projectRoot(), 'test', 'histories');
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, `${recordedName(name)}.json`), `${historyToJSON(await handle.fetchHistory())}\n`);
  writeFileSync(path.join(folder, `${recordedName(name)}.id`), `${handle.workflowId}\n`);
}

/**
 * The file name a recording is saved under: `RECORD_HISTORIES=1` replaces the recordings of that
 * name, `RECORD_HISTORIES=<tag>` adds `<name>.<tag>` beside them (a new path of the workflow's code,
 * whose older recordings must go on replaying).
 */
export function recordedName(name: string): string {
  const tag = process.env.RECORD_HISTORIES;
  return !tag || tag === '1' ? name : `${name}.${tag.replace(/[^\w-]/g, '_')}`;
}

/**
 * How a subtask's workflow ended, as its outcome: the result of one that completed; for one that
 * ended cancelled (Temporal's status CANCELLED, which carries no result), what its state query says,
 * once Temporal is seen to show it cancelled.
 */
export async function outcomeOf(handle: WorkflowHandle): Promise<SubtaskOutcome> {
  try {
    const outcome = (await handle.result()) as SubtaskOutcome;
    expect(outcome.status, `${handle.workflowId} completed as a workflow, yet cancelled`).not.toBe('cancelled');
    return outcome;
  } catch (error) {
    if (!(error instanceof WorkflowFailedError && error.cause instanceof CancelledFailure)) throw error;
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    const state = await handle.query(stateQuery);
    expect(state.status).toBe('cancelled');
    return { status: 'cancelled', shas: state.shas, redEvidence: state.redEvidence };
  }
}

export async function historyOf(handle: WorkflowHandle): Promise<HistoryEvent[]> {
  return (await handle.fetchHistory()).events ?? [];
}

/** Every timer the workflow started, in order: its duration in milliseconds. */
export async function timers(handle: WorkflowHandle): Promise<number[]> {
  return (await historyOf(handle))
    .filter((event) => event.eventType === EventType.EVENT_TYPE_TIMER_STARTED)
    .map((event) => tsToMs(event.timerStartedEventAttributes!.startToFireTimeout!));
}

/** The ids of the child workflows it started, in order, but its agents' runs (see agentRuns). */
export async function children(handle: WorkflowHandle): Promise<string[]> {
  return (await historyOf(handle))
    .filter((event) => event.eventType === EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED)
    .map((event) => event.startChildWorkflowExecutionInitiatedEventAttributes!)
    .filter((attributes) => attributes.workflowType?.name !== 'agentRunWorkflow')
    .map((attributes) => attributes.workflowId!);
}

/**
 * The agents' runs of its phase attempts, in order: child workflows (or, in histories from before
 * them, `runAgentPhase` activities), each with the queue that ran it, its phase input and its end.
 */
export async function agentRuns(handle: WorkflowHandle): Promise<Array<ScheduledActivity & { workflowId?: string }>> {
  const events = await historyOf(handle);
  const ends = new Map<string, ScheduledActivity['end']>();
  const results = new Map<string, Record<string, unknown>>();
  for (const event of events) {
    const completed = event.childWorkflowExecutionCompletedEventAttributes;
    const payload = completed?.result?.payloads?.[0];
    if (completed && payload)
      results.set(String(completed.initiatedEventId), defaultPayloadConverter.fromPayload(payload));
    const ended: Array<[unknown, ScheduledActivity['end']]> = [
      [event.childWorkflowExecutionCompletedEventAttributes?.initiatedEventId, 'completed'],
      [event.childWorkflowExecutionFailedEventAttributes?.initiatedEventId, 'failed'],
      [event.childWorkflowExecutionCanceledEventAttributes?.initiatedEventId, 'cancelled'],
      [event.childWorkflowExecutionTimedOutEventAttributes?.initiatedEventId, 'timed_out'],
      [event.childWorkflowExecutionTerminatedEventAttributes?.initiatedEventId, 'failed'],
      [event.startChildWorkflowExecutionFailedEventAttributes?.initiatedEventId, 'failed'],
    ];
    for (const [id, end] of ended) if (id !== undefined && id !== null) ends.set(String(id), end);
  }
  const runs = events.flatMap((event) => {
    const attributes = event.startChildWorkflowExecutionInitiatedEventAttributes;
    if (attributes?.workflowType?.name !== 'agentRunWorkflow') return [];
    const payload = attributes.input!.payloads![0]!;
    const input = defaultPayloadConverter.fromPayload<{ phase: Record<string, unknown>; roleQueue: string }>(payload);
    return [
      {
        eventId: Number(event.eventId),
        run: {
          type: 'agentRunWorkflow',
          workflowId: attributes.workflowId!,
          taskQueue: input.roleQueue,
          input: input.phase,
          end: ends.get(String(event.eventId)) ?? ('open' as const),
          result: results.get(String(event.eventId)),
        },
      },
    ];
  });
  const legacy = (await activities(handle, 'runAgentPhase')).map((run) => ({ eventId: 0, run }));
  return [...legacy, ...runs].sort((a, b) => a.eventId - b.eventId).map((entry) => entry.run);
}

export interface ScheduledActivity {
  type: string;
  taskQueue: string;
  input: Record<string, unknown>;
  /** How it ended: completed, failed, cancelled, timed out, or still open. */
  end: 'completed' | 'failed' | 'cancelled' | 'timed_out' | 'open';
  /** What it returned, when it completed. */
  result?: Record<string, unknown>;
}

/** The activities it scheduled (not its local activities), in order, with their first argument and how they ended. */
export async function activities(handle: WorkflowHandle, type?: string): Promise<ScheduledActivity[]> {
  const events = await historyOf(handle);
  const ends = new Map<string, ScheduledActivity['end']>();
  const results = new Map<string, Record<string, unknown>>();
  for (const event of events) {
    const completed = event.activityTaskCompletedEventAttributes;
    const payload = completed?.result?.payloads?.[0];
    if (completed && payload)
      results.set(
        String(completed.scheduledEventId),
        defaultPayloadConverter.fromPayload<Record<string, unknown>>(payload),
      );
    const ended: Array<[unknown, ScheduledActivity['end']]> = [
      [event.activityTaskCompletedEventAttributes?.scheduledEventId, 'completed'],
      [event.activityTaskFailedEventAttributes?.scheduledEventId, 'failed'],
      [event.activityTaskCanceledEventAttributes?.scheduledEventId, 'cancelled'],
      [event.activityTaskTimedOutEventAttributes?.scheduledEventId, 'timed_out'],
    ];
    for (const [id, end] of ended) if (id !== undefined && id !== null) ends.set(String(id), end);
  }
  return events
    .filter((event) => event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
    .map((event) => {
      const attributes = event.activityTaskScheduledEventAttributes!;
      const payload = attributes.input?.payloads?.[0];
      return {
        type: attributes.activityType!.name!,
        taskQueue: attributes.taskQueue!.name!,
        input: payload ? defaultPayloadConverter.fromPayload<Record<string, unknown>>(payload) : {},
        end: ends.get(String(event.eventId)) ?? 'open',
        result: results.get(String(event.eventId)),
      };
    })
    .filter((activity) => type === undefined || activity.type === type);
}

/** The updates the history accepted, by name: a refused update never reaches it. */
export async function acceptedUpdates(handle: WorkflowHandle): Promise<string[]> {
  return (await historyOf(handle))
    .filter((event) => event.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)
    .map((event) => event.workflowExecutionUpdateAcceptedEventAttributes!.acceptedRequest!.input!.name!);
}

/** Why the workflow refused an update: the failure's type and message (throws if it was accepted). */
export async function refusal(update: Promise<unknown>): Promise<{ type: string | undefined; message: string }> {
  try {
    await update;
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure)
      return { type: error.cause.type ?? undefined, message: error.cause.message };
    throw error;
  }
  throw new Error('the update was accepted');
}

// --- scripted agents ---------------------------------------------------------------------------

/** An answer without a tool call: the agent stops without calling finish, and the attempt fails (no check runs). */
export const giveUp = (why = 'I cannot see how to do this.'): ScriptedTurn => ({ content: why });

/** An attempt whose agent gives up at once. */
export function failing(
  key: string,
  phase: PhaseName,
  match: Partial<ScriptedConversation['match']> = {},
): ScriptedConversation {
  return { match: { key, phase, ...match }, turns: [giveUp(`attempt of ${phase} cannot finish`)] };
}

/** An attempt whose agent finishes at once (an empty commit: the sample suite passes). */
export function passing(
  key: string,
  phase: PhaseName,
  match: Partial<ScriptedConversation['match']> = {},
  before: ScriptedTurn[] = [],
): ScriptedConversation {
  return { match: { key, phase, ...match }, turns: [...before, finish(`${phase} done`)] };
}

/** An attempt whose model call is held until the test opens the gate: an agent surely running. */
export function held(
  key: string,
  phase: PhaseName,
  gate: string,
  match: Partial<ScriptedConversation['match']> = {},
): ScriptedConversation {
  return { match: { key, phase, ...match }, turns: [{ ...finish(`${phase} done after the gate`), holdUntil: gate }] };
}

// --- messages ----------------------------------------------------------------------------------

export interface Decision {
  /** What is sent, in words, for the failure message. */
  label: string;
  send(handle: WorkflowHandle): Promise<unknown>;
  /** The failure type and message expected; undefined when the update must be accepted. */
  refused?: [type: string, message: RegExp];
}

const who = { actor: 'user:ann' } as const;
/** An override as a person sends it: `actor` is user:ann unless given (undefined: none). */
type Sent<T> = T extends unknown ? Omit<T, 'actor'> & { actor?: string } : never;
export const override =
  (input: Sent<OverrideInput>): Decision['send'] =>
  (handle) =>
    handle.executeUpdate(overrideUpdate, { args: [{ ...who, ...input } as OverrideInput] });
export const approve =
  (comment?: string): Decision['send'] =>
  (handle) =>
    handle.executeUpdate(approveUpdate, { args: [{ ...who, comment }] });
export const reject =
  (returnTo: PhaseName, comment: string): Decision['send'] =>
  (handle) =>
    handle.executeUpdate(rejectUpdate, { args: [{ ...who, returnTo, comment }] });

/** Sends each message in turn: the accepted ones must be accepted, the refused ones refused with their type and reason. */
export async function decide(handle: WorkflowHandle, decisions: Decision[]): Promise<void> {
  for (const decision of decisions) {
    const sent = decision.send(handle);
    if (!decision.refused) {
      await expect(sent, decision.label).resolves.toBeDefined();
      continue;
    }
    expect(await refusal(sent), decision.label).toEqual({
      type: decision.refused[0],
      message: expect.stringMatching(decision.refused[1]),
    });
  }
}

/**
 * Waits until the workflow has nothing in flight: no workflow task and no activity pending. What it
 * does next waits for a message (or a timer): a held step, surely held.
 */
export async function settled(handle: WorkflowHandle, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { raw } = await handle.describe();
    if (!raw.pendingWorkflowTask && (raw.pendingActivities ?? []).length === 0) return;
    if (Date.now() > deadline)
      throw new Error(
        `${handle.workflowId} did not settle in ${timeoutMs} ms: pending ${JSON.stringify(raw.pendingActivities?.map((activity) => activity.activityType?.name))}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Where in the history the first scheduling of an activity, or the first accepted override of an action, is: to say what came first. */
export async function positionOf(
  handle: WorkflowHandle,
  what: { activity: string } | { override: OverrideInput['action'] },
): Promise<number> {
  const events = await historyOf(handle);
  return events.findIndex((event) => {
    if ('activity' in what) return event.activityTaskScheduledEventAttributes?.activityType?.name === what.activity;
    const request = event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input;
    const payload = request?.name === 'override' ? request.args?.payloads?.[0] : undefined;
    return (
      payload !== undefined && defaultPayloadConverter.fromPayload<OverrideInput>(payload).action === what.override
    );
  });
}
