import { defineSearchAttributeKey } from '@temporalio/common';
import {
  ChildWorkflowCancellationType,
  allHandlersFinished,
  condition,
  executeChild,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { AgentActivities, AgentPhaseInput, AgentPhaseResult } from '../../activities/subtask/agent-phase.js';
import { agentRunWorkflow } from '../agent-run.js';
import type { CheckActivities } from '../../activities/subtask/checks.js';
import type { ProgressActivities } from '../../activities/subtask/progress.js';
import type { ReviewActivities } from '../../activities/subtask/review.js';
import type { WorkspaceActivities } from '../../activities/subtask/workspace.js';
import type { AuditEvent } from '../../domain/audit.js';
import { buildChecklist, checklistProgress } from '../../domain/checklist.js';
import { LADDER_OF_EARLIER_SUBTASKS, type LadderSettings } from '../../domain/escalation.js';
import { type SubtaskStatus, assertTransition } from '../../domain/lifecycle.js';
import type { ModelChoice } from '../../domain/models.js';
import { type PhaseName, explainSubtaskPhases } from '../../domain/phases.js';
import { TASK_QUEUES } from '../../domain/queues.js';
import type { ModelAvailability } from '../../domain/routing.js';
import type { CheckedSubtask } from '../check-input.js';
import { GIT_WORK, READ_MODEL_WRITES, agentRun, projectCommands, strategicReview } from '../activity-options.js';
import { oneAtATime } from '../one-at-a-time.js';
import type { SubtaskOutcome, SubtaskState, SubtaskWorkflowInput } from './subtask.shared.js';
import { AuditTrail } from './audit.js';
import { Interrupts } from './interrupts.js';

const statusKey = defineSearchAttributeKey('MaestroStatus', 'KEYWORD');
const phaseKey = defineSearchAttributeKey('MaestroPhase', 'KEYWORD');
/** Agent runs are child workflows (agent-run.ts), no longer one activity per attempt. */
const AGENT_RUN_AS_WORKFLOW = 'agent-run-as-workflow';

/** A person's decision at an approval gate. */
export type Decision =
  | { approved: true; actor: string; comment?: string }
  | { approved: false; actor: string; comment: string; returnTo: PhaseName };

type TransitionExtra = {
  events?: AuditEvent[];
  /** Events that follow the transition in the log, written with it. */
  after?: AuditEvent[];
  data?: Record<string, unknown>;
  started?: boolean;
  completed?: boolean;
};

/**
 * One run of the subtask workflow: its input, the state the `state` query shows, the messages the
 * handlers left for the main sequence, and the activities it calls. Every part of the workflow
 * works on this object; only the handlers and the sequence change it.
 */
export class SubtaskRun {
  readonly spec: SubtaskWorkflowInput['spec'];
  readonly project: SubtaskWorkflowInput['project'];
  readonly phases: SubtaskWorkflowInput['phases'];
  readonly settings: SubtaskWorkflowInput['settings'];
  readonly ladder: LadderSettings;
  readonly workflowId = workflowInfo().workflowId;
  readonly state: SubtaskState;

  readonly interrupts = new Interrupts();
  /** The decision a person gave at the open gate, until the gate takes it. */
  decision: Decision | undefined;
  /** Who changed the project's budget while the subtask was held by it. */
  budgetChangedBy: string | undefined;
  /** The dependencies not completed yet, as their signals arrive. */
  readonly waitingFor = new Set<string>();

  /** A person's choice of model for the current phase (retry with another model), and what routing saw last. */
  chosenModel: string | undefined;
  lastAvailability: ModelAvailability = { available: [], openCircuits: {} };
  softLimitAnnounced = false;
  /** Councils convened so far: the next one's number. */
  councils = 0;

  readonly progress = oneAtATime(proxyLocalActivities<ProgressActivities>(READ_MODEL_WRITES));
  readonly workspace = proxyActivities<WorkspaceActivities>(GIT_WORK);
  readonly runner: CheckActivities;
  readonly orchestrator: ReviewActivities;
  readonly audit: AuditTrail;

  constructor(readonly input: SubtaskWorkflowInput) {
    this.spec = input.spec;
    this.project = input.project;
    this.phases = input.phases;
    this.settings = input.settings;
    this.ladder = input.ladder ?? LADDER_OF_EARLIER_SUBTASKS;
    this.runner = proxyActivities<CheckActivities>(projectCommands(this.settings));
    this.orchestrator = proxyActivities<ReviewActivities>(strategicReview(this.settings));
    this.audit = new AuditTrail(this.progress, { subtaskId: input.subtaskId, projectId: input.project.id });
    const checklist = buildChecklist(this.phases, this.spec.acceptanceCriteria);
    this.state = {
      workflowId: this.workflowId,
      subtaskId: input.subtaskId,
      project: this.spec.project,
      key: this.spec.key,
      title: this.spec.title,
      risk: this.spec.risk,
      status: 'pending',
      phase: null,
      attempt: 0,
      maxAttempts: this.settings.maxAttempts,
      paused: false,
      shas: {},
      checklist,
      progress: checklistProgress(checklist),
      // Derived from the input alone (its own phases, not the default ones), and only read by people
      // and update validators: no command changes, nothing to patch.
      phasePlan: explainSubtaskPhases(
        this.phases,
        this.project.suites.map((suite) => suite.suite),
      ),
      skipped: [],
      queues: { orchestrator: TASK_QUEUES.orchestrator, tester: TASK_QUEUES.tester, developer: TASK_QUEUES.developer },
      costUsd: '0.000000000000',
    };
  }

  /** The agents of a role's queue (or the queue a person reassigned the role to). */
  agentOn(taskQueue: string): AgentActivities {
    return proxyActivities<AgentActivities>(agentRun(this.settings, taskQueue));
  }

  /**
   * An agent's run of a phase attempt: a child workflow whose every model call and tool call is
   * its own activity (histories from before it ran the whole attempt as one activity).
   */
  async runAgent(taskQueue: string, input: AgentPhaseInput): Promise<AgentPhaseResult> {
    if (!patched(AGENT_RUN_AS_WORKFLOW)) return this.agentOn(taskQueue).runAgentPhase(input);
    return executeChild(agentRunWorkflow, {
      workflowId: `${workflowInfo().workflowId}/agent/${input.phase}-${input.attempt}-${uuid4().slice(0, 8)}`,
      taskQueue: TASK_QUEUES.workflows,
      args: [
        {
          phase: input,
          roleQueue: taskQueue,
          limits: {
            heartbeatTimeoutMs: this.settings.heartbeatTimeoutMs,
            checkTimeoutMs: this.settings.checkTimeoutMs,
            agentTimeoutMs: this.settings.agentTimeoutMs,
          },
        },
      ],
      workflowExecutionTimeout: this.settings.agentTimeoutMs,
      cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
    });
  }

  /** The decision, read through a function: handlers set it between awaits. */
  pendingDecision(): Decision | undefined {
    return this.decision;
  }

  /** A status change: validated by the lifecycle, searchable in Temporal, written to the log and the board. */
  async transition(to: SubtaskStatus, message: string, extra: TransitionExtra = {}): Promise<void> {
    const state = this.state;
    const from = state.status;
    assertTransition(from, to);
    state.status = to;
    upsertSearchAttributes([
      { key: statusKey, value: to },
      { key: phaseKey, value: state.phase ?? 'none' },
    ]);
    await this.audit.record(
      [
        ...(extra.events ?? []),
        {
          actor: 'orchestrator',
          kind: 'subtask.transition',
          message,
          data: { from, to, phase: state.phase, attempt: state.attempt, ...extra.data },
        },
        ...(extra.after ?? []),
      ],
      {
        status: to,
        phase: state.phase,
        attempt: state.attempt,
        branch: state.branch,
        started: extra.started,
        completed: extra.completed,
      },
    );
  }

  /** The end, cancelled: searchable and in the log (once), the branch left for inspection. */
  markCancelled(): void {
    this.state.status = 'cancelled';
    upsertSearchAttributes([{ key: statusKey, value: 'cancelled' }]);
  }

  async waitWhilePaused(): Promise<void> {
    if (!this.state.paused) return;
    await this.audit.flush();
    await condition(() => !this.state.paused || this.interrupts.pending() !== undefined);
  }

  /** Ends the workflow once every update handler has finished writing its audit entry. */
  async done(outcome: SubtaskOutcome): Promise<SubtaskOutcome> {
    await this.audit.flush();
    await this.removeWorktree();
    await condition(allHandlersFinished);
    return outcome;
  }

  /**
   * The subtask ended (merged or cancelled): its worktree goes, its branch stays with the work. A
   * removal that fails is logged and does not fail the subtask; the next orchestrator start removes it.
   */
  private async removeWorktree(): Promise<void> {
    const { worktree, branch } = this.state;
    if (worktree === undefined || !patched('remove-worktree-at-end')) return;
    const where = `the work stays on ${branch ?? 'its branch'} in ${this.project.repoPath}`;
    try {
      await this.workspace.removeWorkspace({ repoPath: this.project.repoPath, worktree });
      await this.audit.record([
        {
          actor: 'orchestrator',
          kind: 'workspace.removed',
          message: `worktree removed; ${where}`,
          data: { worktree, branch },
        },
      ]);
    } catch (error) {
      if (isCancellation(error)) throw error;
      await this.audit.record([
        {
          actor: 'orchestrator',
          kind: 'workspace.kept',
          message: `the worktree ${worktree} could not be removed (${error instanceof Error ? error.message : String(error)}); ${where}, and the next start of an orchestrator worker removes it`,
          data: { worktree, branch },
        },
      ]);
    }
  }

  /** What each of this subtask's checks is run with, once the baseline is measured. */
  checked(): CheckedSubtask {
    return {
      workflowId: this.workflowId,
      subtaskId: this.input.subtaskId,
      projectId: this.project.id,
      suites: this.project.suites,
      baselineFile: this.state.baseline!.file,
    };
  }

  phaseIndex(name: PhaseName): number {
    return this.phases.findIndex((phase) => phase.name === name);
  }

  /** A registry model as an agent or the council calls it: its entry and its provider's settings. */
  choiceOf(id: string): ModelChoice {
    const entry = this.input.models.registry[id]!;
    return { ...entry, id, providerSettings: this.input.models.providers[entry.provider]! };
  }
}
