import { type SubtaskStatus, isFinal } from '../../../domain/lifecycle.js';
import type { SubtaskState } from '../../../workflows/subtask/subtask.shared.js';

export type ActionName =
  | 'approve'
  | 'reject'
  | 'retry'
  | 'retry_with_model'
  | 'skip'
  | 'force_complete'
  | 'reset'
  | 'reassign'
  | 'pause'
  | 'resume'
  | 'cancel';

/** What the dialog for an action asks for, besides who acts (the signed-in user). */
export type ActionField = 'reason' | 'comment' | 'returnTo' | 'phase' | 'role' | 'taskQueue' | 'hint' | 'model';

export interface AvailableAction {
  action: ActionName;
  label: string;
  /** The role the server requires for it. */
  role: 'reviewer' | 'admin';
  /** Fields the dialog asks for; `required` are refused when empty. */
  fields: ActionField[];
  required: ActionField[];
  /** For reset (phase) and reject (returnTo): the phases it may go to. */
  phases?: string[];
  /** What it does here, in words (an escalation's own words when it offers this). */
  detail: string;
  /** The escalation recommends it. */
  recommended: boolean;
  tone: 'primary' | 'danger' | 'neutral';
}

export interface SubtaskActions {
  actions: AvailableAction[];
  /** Why nothing (more) can be done, when that is so. */
  note?: string;
}

const LABELS: Record<ActionName, string> = {
  approve: 'Approve',
  reject: 'Reject',
  retry: 'Retry with a hint',
  retry_with_model: 'Retry with another model',
  skip: 'Skip phase',
  force_complete: 'Force complete',
  reset: 'Reset to a phase',
  reassign: 'Reassign',
  pause: 'Pause',
  resume: 'Resume',
  cancel: 'Cancel',
};

/** A subtask that ended offers nothing: no need to ask its workflow (a replay of its whole history). */
export function endedActions(status: SubtaskStatus): SubtaskActions {
  return { actions: [], note: `The subtask is ${status}: nothing can be changed any more.` };
}

/**
 * The buttons for what the workflow accepts right now, from its live state: the same rules its
 * update validators apply, so a button never offers what would be refused.
 */
export function availableActions(state: SubtaskState): SubtaskActions {
  if (isFinal(state.status)) return endedActions(state.status);
  const phases = state.checklist
    .filter((item) => item.id.startsWith('phase:'))
    .map((item) => item.id.slice('phase:'.length));
  const workPhases = phases.filter((phase) => phase !== 'complete');
  const currentIndex = state.phase ? phases.indexOf(state.phase) : -1;
  const started = Boolean(state.baseline) && currentIndex >= 0;
  const offered = (state.blocked?.options ?? []) as string[];
  const details = (state.blocked?.details ?? {}) as Record<string, string | undefined>;
  const actions: AvailableAction[] = [];
  // What an escalation offers is a reviewer's to choose (as offered); everything else is an admin's.
  const add = (action: ActionName, extra: Partial<AvailableAction> & { detail: string }) =>
    actions.push({
      action,
      label: LABELS[action],
      role: offered.includes(action) ? 'reviewer' : 'admin',
      fields: ['reason'],
      required: ['reason'],
      recommended: offered[0] === action,
      tone: 'neutral',
      ...extra,
      detail: details[action] ?? extra.detail,
    });

  if (state.pendingGate && !state.blocked) {
    const gate = state.pendingGate.gate;
    add('approve', {
      role: 'reviewer',
      fields: ['comment'],
      required: [],
      tone: 'primary',
      detail: gate === 'plan' ? 'Approve the plan: the agents start.' : 'Approve the merge into the base branch.',
    });
    add('reject', {
      role: 'reviewer',
      fields: ['comment', 'returnTo'],
      required: ['comment', 'returnTo'],
      phases: gate === 'plan' ? workPhases.slice(0, 1) : workPhases,
      tone: 'danger',
      detail: 'Send it back to a phase, with your comment for the agent.',
    });
  }
  if (state.blocked) {
    if (offered.includes('retry'))
      add('retry', {
        role: 'reviewer',
        fields: ['hint', 'reason'],
        required: [],
        tone: offered[0] === 'retry' ? 'primary' : 'neutral',
        detail: 'Try again, with a hint for the agent.',
      });
    if (offered.includes('retry_with_model')) {
      add('retry_with_model', {
        role: 'reviewer',
        fields: ['model', 'hint', 'reason'],
        required: ['model'],
        tone: offered[0] === 'retry_with_model' ? 'primary' : 'neutral',
        detail: 'Try again with another model.',
      });
    }
  }
  if (state.paused)
    add('resume', { fields: ['reason'], required: [], tone: 'primary', detail: 'Go on from where it was paused.' });
  else add('pause', { detail: 'Hold before the next step; the running step finishes first.' });

  const blockedAllows = (action: ActionName) => !state.blocked || offered.includes(action);
  if (state.phase && state.phase !== 'complete' && blockedAllows('skip'))
    add('skip', { detail: `Mark ${state.phase} done without its work and go on.` });
  if (started && blockedAllows('reset')) {
    add('reset', {
      fields: ['phase', 'reason'],
      required: ['phase', 'reason'],
      phases: workPhases.slice(0, Math.min(currentIndex + 1, workPhases.length)),
      detail: 'Go back to a phase and redo the work from there.',
    });
  }
  if (!state.blocked)
    add('reassign', {
      fields: ['role', 'taskQueue', 'reason'],
      required: ['role', 'taskQueue', 'reason'],
      detail: "Send a role's work to another task queue.",
    });
  if (state.baseline) add('force_complete', { detail: 'Skip the remaining phases (and the approval) and merge now.' });
  add('cancel', { tone: 'danger', detail: 'Stop the subtask; its branch stays for inspection.' });
  return { actions: actions.sort((a, b) => Number(b.recommended) - Number(a.recommended)) };
}
