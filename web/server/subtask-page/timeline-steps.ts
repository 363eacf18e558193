import type { CheckPurpose } from '../../../domain/checks.js';
import type { SubtaskActivityName } from '../../../workflows/subtask/history.shared.js';
import { COMPLETE, SETUP, type StepKind } from './timeline-types.js';

/** What an activity's input tells about where it belongs. */
export interface ActivityInput {
  phase?: string;
  attempt?: number;
  purpose?: CheckPurpose;
}

/** How the timeline shows an activity it knows: its kind, the phase it always belongs to, its label. */
export interface ActivityStep {
  kind: StepKind;
  phase?: string;
  label: (input: ActivityInput) => string;
}

/** The subtask workflow's activities, by their names in the history (checked against the activities' own). */
const ACTIVITY_STEPS = {
  prepareWorkspace: { kind: 'workspace', phase: SETUP, label: () => 'Worktree and branch' },
  runBaseline: { kind: 'baseline', phase: SETUP, label: () => 'Baseline: install and tests on the base branch' },
  runAgentPhase: { kind: 'agent', label: (input) => `Agent run, attempt ${input.attempt ?? 1}` },
  runCheck: { kind: 'check', label: checkLabel },
  strategicReview: { kind: 'review', label: () => 'Strategic review' },
  mergeBranch: { kind: 'merge', phase: COMPLETE, label: () => 'Merge into the base branch' },
  rebaseBranch: { kind: 'rebase', phase: COMPLETE, label: () => 'Rebase onto the moved base' },
  applyCandidate: { kind: 'activity', label: () => "Apply the council's winner" },
} satisfies Partial<Record<SubtaskActivityName, ActivityStep>>;

const STEPS_BY_TYPE: Readonly<Record<string, ActivityStep | undefined>> = ACTIVITY_STEPS;

/** The step an activity type of the history makes, if the timeline knows it. */
export function activityStep(type: string): ActivityStep | undefined {
  return STEPS_BY_TYPE[type];
}

/** Histories recorded before checks said their purpose numbered the council's checks from 1,000. */
const FIRST_COUNCIL_ATTEMPT = 1_000;

function checkLabel(input: ActivityInput): string {
  const purpose = input.purpose ?? (Number(input.attempt) >= FIRST_COUNCIL_ATTEMPT ? 'council_winner' : 'attempt');
  switch (purpose) {
    case 'council_winner':
      return "Check of the council's winner";
    case 'council_candidate':
      return "Check of a council member's candidate";
    case 'rebase':
      return `Check after the rebase, round ${input.attempt ?? 1}`;
    case 'attempt':
      return `Check, attempt ${input.attempt ?? 1}`;
  }
}
