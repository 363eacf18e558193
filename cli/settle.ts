import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { Api } from './client.js';
import type { SubtaskRef } from './ids.js';

/** Where a subtask is: enough to say whether it moved, and to say where. */
export interface Position {
  status: string;
  phase: string | null;
  paused: boolean;
}

/**
 * What a decision led to. An update answers with the state the workflow was in when its handler
 * finished, mostly before the workflow acted on the message (an approved merge is still
 * ready_for_review then, and completed seconds later), so the CLI reads the state again until it
 * moves, for a while, and says which state is which.
 */
export interface Settled<T extends Position> {
  /** The update's answer: the state when the workflow took the message. */
  taken: Position;
  /** The state last read: the same as taken when it did not move, or when nothing was waited for. */
  now: T | Position;
  /** Whether the status or the phase changed within the wait. */
  moved: boolean;
  /** How long the CLI waited; 0 when told not to. */
  waitedMs: number;
}

export const DEFAULT_WAIT_SECONDS = 10;
const POLL_MS = 250;

/** `--wait <seconds>`: how long to wait for the subtask to move on; 0 prints the update's answer alone. */
export const WaitSeconds = z.coerce
  .number({ error: 'a number of seconds, like 10 (0: do not wait)' })
  .int('whole seconds, like 10 (0: do not wait)')
  .min(0, 'at least 0 (0: do not wait)')
  .max(300, 'at most 300 seconds');

const position = (state: Position): Position => ({ status: state.status, phase: state.phase, paused: state.paused });
const movedFrom = (taken: Position, now: Position) => now.status !== taken.status || now.phase !== taken.phase;

/** Reads the subtask's state until its status or phase differs from `taken`, for at most `waitSeconds`. */
export async function settle(
  api: Api,
  ref: SubtaskRef,
  taken: Position,
  waitSeconds: number,
): Promise<Settled<Awaited<ReturnType<Api['subtask']['state']['query']>>>> {
  // Completed or cancelled: nothing comes after.
  if (FINAL.has(taken.status)) return { taken: position(taken), now: position(taken), moved: false, waitedMs: 0 };
  const start = Date.now();
  const deadline = start + waitSeconds * 1_000;
  let now: Settled<Awaited<ReturnType<Api['subtask']['state']['query']>>>['now'] = position(taken);
  while (Date.now() < deadline) {
    await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
    try {
      now = await api.subtask.state.query(ref);
    } catch {
      // The state cannot be read now (the API or a worker is restarting): say what the update said.
      break;
    }
    if (movedFrom(taken, now)) return { taken: position(taken), now, moved: true, waitedMs: Date.now() - start };
  }
  return { taken: position(taken), now, moved: false, waitedMs: waitSeconds === 0 ? 0 : Date.now() - start };
}

const FINAL = new Set(['completed', 'cancelled']);

export function where(state: Position): string {
  if (FINAL.has(state.status)) return state.status;
  return `${state.status}${state.phase ? ` in ${state.phase}` : ''}${state.paused ? ' (paused)' : ''}`;
}

/**
 * One sentence on what happened after a decision, saying which state is which: the one the
 * workflow answered with, and the one it is in now (or that it had not moved yet).
 */
export function describeSettled(ref: SubtaskRef, settled: Settled<Position>): string {
  const name = `${ref.project}/${ref.key}`;
  const answered = `${name} was ${where(settled.taken)} when the workflow answered`;
  if (settled.moved) return `${answered}; now it is ${where(settled.now)}.`;
  if (FINAL.has(settled.taken.status)) return `${name} is now ${settled.taken.status}.`;
  if (settled.waitedMs === 0)
    return `${answered} (what comes next was not waited for: maestro subtask status ${name}).`;
  return `${answered}, and still is ${Math.round(settled.waitedMs / 1_000)} s later: follow it with maestro subtask status ${name}.`;
}
