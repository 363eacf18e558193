/**
 * The lifecycle of a subtask as a table. An illegal transition is a bug in the workflow, not a branch:
 * `assertTransition` throws.
 *
 *   pending -> in_progress -> testing -> ready_for_review -> completed
 *                 |   ^          |
 *                 v   |          v
 *               blocked       failed -> retrying -> testing
 *   (any) -> cancelled
 */
export const SUBTASK_STATUSES = [
  'pending',
  'in_progress',
  'testing',
  'ready_for_review',
  'blocked',
  'failed',
  'retrying',
  'completed',
  'cancelled',
] as const;
export type SubtaskStatus = (typeof SUBTASK_STATUSES)[number];

const TRANSITIONS: Record<SubtaskStatus, readonly SubtaskStatus[]> = {
  pending: ['in_progress', 'blocked', 'completed'],
  // Agents work; a phase that needs no check (or was skipped) goes straight on.
  in_progress: ['testing', 'ready_for_review', 'blocked', 'failed', 'completed', 'in_progress'],
  // A check runs; when it passes the next phase's agent starts.
  testing: ['in_progress', 'ready_for_review', 'failed', 'blocked', 'completed', 'retrying'],
  // A person may skip, reset or force a subtask whatever its attempts are doing; a council's winner is tested.
  failed: ['retrying', 'blocked', 'in_progress', 'ready_for_review', 'completed', 'testing'],
  retrying: ['testing', 'failed', 'blocked', 'in_progress', 'ready_for_review', 'completed'],
  // A person's answer may not be enough (a budget raised too little, a retry that fails again): blocked anew.
  blocked: ['in_progress', 'retrying', 'ready_for_review', 'testing', 'completed', 'blocked'],
  // Waiting for approval or merging; a rejection goes back to a phase, a moved base re-verifies.
  ready_for_review: ['completed', 'in_progress', 'testing', 'blocked'],
  completed: [],
  cancelled: [],
};

export function canTransition(from: SubtaskStatus, to: SubtaskStatus): boolean {
  if (to === 'cancelled') return from !== 'completed' && from !== 'cancelled';
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(from: SubtaskStatus, to: SubtaskStatus): void {
  if (!canTransition(from, to)) throw new Error(`Illegal subtask transition ${from} -> ${to}`);
}

export function isFinal(status: SubtaskStatus): boolean {
  return status === 'completed' || status === 'cancelled';
}
