/**
 * The subtask workflow's contract: its input, its state, and the messages it accepts. Imported by
 * the workflow, the API and the CLI; validated with zod/mini, which keeps the workflow bundle small.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import * as z from 'zod/mini';
import type { Baseline } from '../../domain/checks.js';
import type { ChecklistItem } from '../../domain/checklist.js';
import type { BudgetLimits, BudgetTier } from '../../domain/budget.js';
import type { SubtaskStatus } from '../../domain/lifecycle.js';
import type { BlockOption, LadderSettings } from '../../domain/escalation.js';
import type { OverrideAction } from '../../domain/override-rules.js';
import type { ComplexityLevel, ModelsSnapshot } from '../../domain/models.js';
import { PHASE_NAMES, type PhaseDefinition, type PhaseName, type PhasePlan, type Role } from '../../domain/phases.js';
import type { SuiteConfig } from '../../domain/project.js';
import { TEXT_LIMITS, tooLongMessage, unstorableProblem } from '../../domain/storable-text.js';

export const SUBTASK_WORKFLOW = 'subtaskWorkflow';

export interface ProjectSnapshot {
  id: string;
  name: string;
  repoPath: string;
  baseBranch: string;
  installCommand?: string;
  suites: SuiteConfig[];
  territories: { tester: string[]; developer: string[] };
}

export interface SubtaskSettings {
  maxAttempts: number;
  retryBackoffMs: number;
  retryBackoffMaxMs: number;
  /** A worker that stops heartbeating for this long is presumed dead; its task runs elsewhere. */
  heartbeatTimeoutMs: number;
  agentTimeoutMs: number;
  checkTimeoutMs: number;
}

export interface SubtaskSpecSnapshot {
  project: string;
  key: string;
  title: string;
  description: string;
  acceptanceCriteria: string[];
  filesInScope: string[];
  risk: 'low' | 'medium' | 'high';
  dependencies: string[];
}

/** A snapshot: a running workflow never changes under a new phase table or project setting. */
export interface SubtaskWorkflowInput {
  subtaskId: string;
  spec: SubtaskSpecSnapshot;
  project: ProjectSnapshot;
  phases: PhaseDefinition[];
  settings: SubtaskSettings;
  /** The providers, model registry and routing preferences, as they were at the start. */
  models: ModelsSnapshot;
  /** The escalation ladder: strategic review, council, a person. */
  ladder: LadderSettings;
  /** Who started it (`user:alice`, `system:demo`). */
  startedBy: string;
}

export interface FailureSummary {
  phase: PhaseName;
  attempt: number;
  reason: string;
  failingTests: string[];
  outputTail: string;
  /** The attempt's commit, so the next attempt can see its diff. */
  sha?: string;
  logFiles: string[];
}

export interface PendingGate {
  gate: 'plan' | 'merge';
  approvalId: string;
  since: string;
}

export interface BlockedState {
  reason: string;
  since: string;
  escalationId?: string;
  /** What a person may answer with, the recommended one first. */
  options: BlockOption[];
  /** What each option would do here, in words. */
  details?: Partial<Record<BlockOption, string>>;
  conflicts?: string[];
  /** The ladder's tier that reached a person: 1 (a step failed), 4 (after the review and the council). */
  tier?: number;
}

/** How the subtask's models are chosen: decided once from the subtask, applied at every attempt. */
export interface RoutingState {
  complexity: number;
  level: ComplexityLevel;
  hardStop: string[];
  reason: string;
}

export interface BudgetState {
  tier: BudgetTier;
  /** The project's spend, exact. */
  spentUsd: string;
  limits: BudgetLimits;
}

export interface SubtaskState {
  workflowId: string;
  subtaskId: string;
  project: string;
  key: string;
  title: string;
  risk: 'low' | 'medium' | 'high';
  status: SubtaskStatus;
  phase: PhaseName | null;
  attempt: number;
  /** The current phase's limit of attempts, with those a strategic review added. */
  maxAttempts: number;
  paused: boolean;
  pendingGate?: PendingGate;
  blocked?: BlockedState;
  lastFailure?: FailureSummary;
  branch?: string;
  worktree?: string;
  /** `base`: where the branch started; one per phase that committed; `merge`: the merge commit. */
  shas: Partial<Record<PhaseName | 'base' | 'merge', string>>;
  checklist: ChecklistItem[];
  progress: string;
  /**
   * Which phases this subtask runs and why the others are left out (the integration phases, for a
   * project without an integrationTestCommand). Read from the input: also on subtasks started before.
   */
  phasePlan?: PhasePlan;
  skipped: PhaseName[];
  /** Which task queue each agent role's work goes to (a reassign changes it). */
  queues: Record<Role, string>;
  /** The red check's output: the proof that the tests failed before the code existed. */
  redEvidence?: { sha: string; logFiles: string[]; newFailingTests: string[]; reason: string };
  baseline?: { file: string; passing: number; failing: number };
  waitingFor?: string[];
  routing?: RoutingState;
  /** The model of the latest agent attempt, and why. */
  model?: { id: string; reason: string };
  /** What this subtask's model calls cost so far (exact, from the ledger). */
  costUsd: string;
  budget?: BudgetState;
  /** Where the current phase is on the escalation ladder: 1 retries, 2 strategic review, 3 council, 4 a person. */
  escalationTier?: number;
  /** The strategic review's guidance for the current phase's attempts. */
  guidance?: string;
  /** The latest council of the current phase. */
  council?: {
    workflowId: string;
    members: string[];
    status: 'running' | 'decided' | 'failed';
    winner?: string;
    reason?: string;
  };
}

export interface SubtaskOutcome {
  status: 'completed' | 'cancelled';
  shas: SubtaskState['shas'];
  redEvidence?: SubtaskState['redEvidence'];
}

export type { Baseline };

// --- messages -------------------------------------------------------------------------------------

export const Actor = z
  .string()
  .check(z.regex(/^(user|system|role):[\w.@-]{1,80}$/, 'actor: who acts, like user:alice'));
/** The checks of free text: at most `max` characters, and nothing PostgreSQL cannot store (a NUL). */
function bounded(max: number, what: string) {
  return [
    z.maxLength(max, { error: (issue) => tooLongMessage(what, max, (issue.input as string | undefined)?.length) }),
    z.superRefine((value: string, ctx) => {
      const problem = unstorableProblem(value);
      if (problem) ctx.issues.push({ code: 'custom', message: `${what} ${problem}`, input: value });
    }),
  ] as const;
}
const REASON_MAX = 2_000;
const Reason = z
  .string()
  .check(z.trim(), z.minLength(3, 'give a reason of a few words'), ...bounded(REASON_MAX, 'the reason'));
const OptionalReason = z.optional(z.string().check(z.trim(), ...bounded(REASON_MAX, 'the reason')));
const Comment = z.string().check(z.trim(), ...bounded(TEXT_LIMITS.reason, 'the comment'));
const Phase = z.enum(PHASE_NAMES, { error: () => `unknown phase; the phases are ${PHASE_NAMES.join(', ')}` });

export const ApproveInput = z.strictObject({
  actor: z.optional(Actor),
  comment: z.optional(Comment),
});
export type ApproveInput = z.infer<typeof ApproveInput>;

export const RejectInput = z.strictObject({
  actor: z.optional(Actor),
  comment: z
    .string()
    .check(
      z.trim(),
      z.minLength(3, 'say what to change: the comment goes to the agent'),
      ...bounded(TEXT_LIMITS.reason, 'the comment'),
    ),
  returnTo: Phase,
});
export type RejectInput = z.infer<typeof RejectInput>;

export const OverrideInput = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('skip'), actor: z.optional(Actor), reason: Reason }),
  z.strictObject({ action: z.literal('force_complete'), actor: z.optional(Actor), reason: Reason }),
  z.strictObject({ action: z.literal('reset'), actor: z.optional(Actor), reason: Reason, phase: Phase }),
  z.strictObject({
    action: z.literal('reassign'),
    actor: z.optional(Actor),
    reason: Reason,
    role: z.enum(['tester', 'developer']),
    taskQueue: z.string().check(z.regex(/^[\w.-]{1,100}$/, 'a task queue name, like maestro-developer-gpu')),
  }),
  z.strictObject({ action: z.literal('pause'), actor: z.optional(Actor), reason: Reason }),
  z.strictObject({ action: z.literal('resume'), actor: z.optional(Actor), reason: OptionalReason }),
  z.strictObject({ action: z.literal('cancel'), actor: z.optional(Actor), reason: Reason }),
  z.strictObject({
    action: z.literal('retry'),
    actor: z.optional(Actor),
    reason: OptionalReason,
    hint: z.optional(z.string().check(z.trim(), ...bounded(TEXT_LIMITS.reason, 'the hint'))),
    /** Retry with this model (a registry id) instead of the routed one, for the rest of the phase. */
    model: z.optional(z.string().check(z.regex(/^[\w.:/@-]{1,120}$/, 'a model id from the registry, like gpt-5'))),
  }),
]);
export type OverrideInput = z.infer<typeof OverrideInput>;

export const stateQuery = defineQuery<SubtaskState>('state');
export const approveUpdate = defineUpdate<SubtaskState, [ApproveInput]>('approve');
export const rejectUpdate = defineUpdate<SubtaskState, [RejectInput]>('reject');
export const overrideUpdate = defineUpdate<SubtaskState, [OverrideInput]>('override');
/** From a subtask this one depends on, when it completes. */
export const dependencyCompletedSignal = defineSignal<[DependencyCompletedMessage]>('dependencyCompleted');
/** From the API, when a person changed the project's budget: a subtask held by its limits looks again. */
export const budgetChangedSignal = defineSignal<[BudgetChangedMessage]>('budgetChanged');

/**
 * The signals' messages. A signal cannot be refused (it has no validator), so the workflow drops one
 * that does not parse, and logs why, instead of failing its task on it again and again.
 */
export const DependencyCompletedMessage = z.strictObject({
  key: z.string().check(z.minLength(1, 'key: the completed subtask'), ...bounded(TEXT_LIMITS.identifier, 'the key')),
});
export type DependencyCompletedMessage = z.infer<typeof DependencyCompletedMessage>;
export const BudgetChangedMessage = z.strictObject({ actor: Actor });
export type BudgetChangedMessage = z.infer<typeof BudgetChangedMessage>;

/**
 * Every message must say who sent it. The schemas leave `actor` optional so the API can take a
 * request without it and fill it in from the caller; the workflow refuses a message without one.
 */
export function missingActor(message: { actor?: unknown }): string | undefined {
  return typeof message.actor === 'string' && message.actor.length > 0
    ? undefined
    : 'actor: say who acts, like user:alice';
}

/** zod/mini's issues in one line: what to fix. */
export function describeIssues(error: z.core.$ZodError): string {
  return error.issues
    .map((issue) => {
      // zod/mini has no messages of its own: an unknown key would only be "Invalid input".
      const message =
        issue.code === 'unrecognized_keys'
          ? `unknown ${issue.keys.length === 1 ? 'key' : 'keys'} ${issue.keys.join(', ')}: check the spelling`
          : issue.message;
      return `${issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${message}`;
    })
    .join('; ');
}
