/** The phase timeline of a subtask, as the API gives it to the console: built by buildTimeline (timeline.ts). */

export type StepKind =
  | 'workspace'
  | 'baseline'
  | 'agent'
  | 'check'
  | 'review'
  | 'merge'
  | 'rebase'
  | 'council'
  | 'activity'
  | 'approval'
  | 'escalation'
  | 'wait';
export type StepStatus = 'scheduled' | 'running' | 'completed' | 'failed' | 'timed_out' | 'cancelled' | 'waiting';

/** One thing the workflow did or waited for: an activity, a gate, an escalation, a timer, a child workflow. */
export interface TimelineStep {
  /** The history event that began it. */
  id: number;
  /** For activities: the workflow's id of the activity, to match what Temporal says of it while it runs. */
  activityId?: string;
  kind: StepKind;
  label: string;
  phase: string;
  /** The phase's attempt this step belongs to (agent runs and checks). */
  attempt?: number;
  taskQueue?: string;
  scheduledAt: string;
  startedAt?: string;
  endedAt?: string;
  status: StepStatus;
  /** Temporal's tries of the activity: more than one when a worker died or the activity failed and was retried. */
  activityAttempts?: number;
  /** A check's verdict. */
  passed?: boolean;
  /** What came out, in one line: a commit, a check's reason, a merge. */
  outcome?: string;
  failure?: string;
  /** Who answered a gate or an escalation. */
  actor?: string;
  /** An agent's run as a child workflow: its id, and its own steps (each model call, tool call and the commit). */
  childWorkflowId?: string;
  agentSteps?: AgentStep[];
  /** A council: its workflow's id, and each member's run with its own steps. */
  councilWorkflowId?: string;
  councilMembers?: CouncilMemberRun[];
}

/** A council member's run (an agent-run workflow of the council's), read from the council's history. */
export interface CouncilMemberRun {
  model: string;
  workflowId: string;
  status: StepStatus;
  steps: AgentStep[];
}

/** One step of an agent's run, from its child workflow's history. */
export interface AgentStep {
  id: number;
  kind: 'prepare' | 'model' | 'tool' | 'commit';
  label: string;
  status: StepStatus;
  scheduledAt: string;
  startedAt?: string;
  endedAt?: string;
  /** Temporal's tries: more than one when its worker died or it failed and was retried. */
  tries?: number;
  /** What came out, in one line: the tools the model called, a tool's result, the commit. */
  outcome?: string;
  failure?: string;
}

/** A person's (or another workflow's) message the workflow accepted: an approval, a rejection, an override, a signal. */
export interface TimelineDecision {
  id: number;
  at: string;
  actor: string;
  kind: 'approve' | 'reject' | 'override' | 'signal';
  /** `approve`, `reject`, or the override's action (`skip`, `pause`, …), or the signal's name. */
  action: string;
  detail?: string;
  phase: string;
}

export type VisitStatus = 'running' | 'passed' | 'failed' | 'skipped' | 'waiting' | 'cancelled' | 'done';

/** One stay in a phase, from its first step to its last; a phase sent back to shows up again. */
export interface TimelinePhase {
  phase: string;
  startedAt: string;
  endedAt?: string;
  status: VisitStatus;
  /** The highest attempt of the phase in this stay. */
  attempts: number;
  steps: TimelineStep[];
  decisions: TimelineDecision[];
}

export interface Timeline {
  workflowId: string;
  runId?: string;
  status: 'running' | 'completed' | 'failed' | 'cancelled' | 'terminated' | 'timed_out' | 'continued_as_new';
  startedAt?: string;
  closedAt?: string;
  /** The last history event read: the timeline is rebuilt only when the history grew. */
  lastEventId: number;
  phases: TimelinePhase[];
  decisions: TimelineDecision[];
}

/** The timeline's own phases around the workflow's: before the work (`plan`, `setup`) and its end (`complete`). */
export const SETUP = 'setup';
export const PLAN = 'plan';
export const COMPLETE = 'complete';
