/**
 * The lifecycle of a subtask as a table. An illegal transition is a bug in the workflow, not a branch:
 * `assertTransition` throws.
 *
 * The path: each phase is an agent's attempt (in_progress, or retrying after a failure), then its
 * check (testing); the last check passed, the subtask waits for approval and merges.
 *
 *   pending -> in_progress -> testing -> ready_for_review -> completed
 *                  ^             |  |          |     ^
 *                  +-------------+  |          v     |
 *                (the next phase)   |        testing-+     (the base moved: rebased, verified again)
 *                                   v
 *                                 failed -> retrying -> testing, or failed again
 *                                   |
 *                                   +-> testing            (a council's winner is checked)
 *
 * Besides the path, a person or a hold can cut in at any step of the work (working: in_progress,
 * testing, failed, retrying, blocked, ready_for_review; no state goes to itself but blocked):
 *   pending or working -> blocked           a person must answer: a step failed, the attempts ran out, a budget or
 *                                           routing hold; blocked again when the answer was not enough
 *   blocked            -> what was going on  the answer resumes it: retrying, in_progress, testing, ready_for_review, completed
 *   working            -> in_progress       a skip or a reset (and a rejection at the merge gate)
 *   working            -> ready_for_review  force complete
 *   pending or working -> cancelled
 * The table below is the whole truth, each transition with when it happens.
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
  pending: [
    'in_progress', // the worktree is ready
    'blocked', // the workspace could not be set up, or a dependency was cancelled: a person decides
    'cancelled', // cancelled while waiting for dependencies or for the plan's approval
  ],
  in_progress: [
    'testing', // the agent committed; the runner checks it
    'failed', // the agent's run failed (no commit to check)
    'blocked', // the baseline failed, or a budget or routing hold before the first attempt (or after an emergency stop)
    'ready_for_review', // forced to complete during the attempt, or the remaining phases were skipped
    'cancelled',
  ],
  testing: [
    'in_progress', // the check passed and the next phase's agent starts; or a skip or reset during the check
    'failed', // the check failed or could not run (an attempt's, or a council winner's)
    'ready_for_review', // the last phase's check passed, or the rebased branch verified; or forced during a check
    'blocked', // a budget or routing hold before the next phase's first attempt; the rebased branch fails its verification
    'cancelled',
  ],
  failed: [
    'retrying', // the next attempt starts, with the failure in its prompt
    'testing', // the council's winner is on the branch; the runner checks it
    'blocked', // the ladder reached a person, or a budget or routing hold before the next attempt
    'in_progress', // a skip or reset during the backoff, the strategic review or the council
    'ready_for_review', // forced to complete during the backoff, the strategic review or the council
    'cancelled',
  ],
  retrying: [
    'testing', // the agent committed; the runner checks it
    'failed', // the agent's run failed
    'blocked', // a budget hold after the agent's emergency stop
    'in_progress', // a skip or reset during the attempt
    'ready_for_review', // forced to complete during the attempt
    'cancelled',
  ],
  blocked: [
    'in_progress', // answered: setup succeeded; a skip or reset; the first attempt of a phase starts after a hold
    'retrying', // answered with retry (or a raised budget): the phase's attempts start again
    'testing', // answered by raising the budget, the council's winner is checked; a retried merge found the base moved and rebased
    'ready_for_review', // forced to complete; a retry of the merge after a conflict or a failed re-verification
    'completed', // a retried merge went through
    'blocked', // the answer was not enough: the budget is still over, the retried step failed again
    'cancelled',
  ],
  ready_for_review: [
    'completed', // merged into the base branch
    'testing', // the base branch moved: rebased, verified again
    'in_progress', // rejected at the merge gate, or reset, back to a phase
    'blocked', // the merge or rebase failed, conflicts, the base kept moving; a hold in the phase a reset went back to
    'cancelled',
  ],
  completed: [],
  cancelled: [],
};

export function canTransition(from: SubtaskStatus, to: SubtaskStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(from: SubtaskStatus, to: SubtaskStatus): void {
  if (canTransition(from, to)) return;
  const allowed = TRANSITIONS[from];
  throw new Error(
    `Illegal subtask transition ${from} -> ${to}: ${allowed.length > 0 ? `from ${from} only ${allowed.join(', ')}` : `${from} is final`}`,
  );
}

export function isFinal(status: SubtaskStatus): boolean {
  return status === 'completed' || status === 'cancelled';
}
