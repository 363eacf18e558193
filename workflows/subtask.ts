import { defineSearchAttributeKey } from '@temporalio/common';
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  currentUpdateInfo,
  condition,
  executeChild,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  allHandlersFinished,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { AgentActivities, AgentPhaseResult } from '../activities/subtask/agent-phase.js';
import type { ReviewActivities } from '../activities/subtask/review.js';
import { LADDER_OF_EARLIER_SUBTASKS, councilMembers, humanOptions, problemTypeOf } from '../domain/escalation.js';
import { atLeast, describeSpend } from '../domain/budget.js';
import type { ModelChoice } from '../domain/models.js';
import { formatUsd, formatUsdExact, parseUsd } from '../domain/money.js';
import { type ModelAvailability, assessComplexity, chooseModel } from '../domain/routing.js';
import { councilWorkflow } from './council.js';
import type { CheckActivities, CheckResult } from '../activities/subtask/checks.js';
import type { ProgressActivities } from '../activities/subtask/progress.js';
import type { WorkspaceActivities } from '../activities/subtask/workspace.js';
import type { AuditEvent } from '../domain/audit.js';
import { buildChecklist, checklistProgress, markCriterion, markPhase } from '../domain/checklist.js';
import { type SubtaskStatus, assertTransition, isFinal } from '../domain/lifecycle.js';
import type { PhaseDefinition, PhaseName } from '../domain/phases.js';
import { TASK_QUEUES } from '../domain/queues.js';
import { oneAtATime } from './one-at-a-time.js';
import { AGENT_FAILURE_TYPES } from '../domain/agent-failure.js';
import {
  ApproveInput,
  type BlockOption,
  type BlockedState,
  type FailureSummary,
  type OverrideAction,
  OverrideInput,
  RejectInput,
  type SubtaskOutcome,
  type SubtaskState,
  type SubtaskWorkflowInput,
  approveUpdate,
  budgetChangedSignal,
  dependencyCompletedSignal,
  describeIssues,
  missingActor,
  overrideUpdate,
  rejectUpdate,
  stateQuery,
} from './subtask.shared.js';
import { failureMessage } from './failure-message.js';

const statusKey = defineSearchAttributeKey('MaestroStatus', 'KEYWORD');
const phaseKey = defineSearchAttributeKey('MaestroPhase', 'KEYWORD');

/**
 * What stops the running step: an override (or a person's answer to a block). `during` is the phase
 * it was given in: a skip that arrives after its phase ended skips nothing.
 */
type Interrupt = { during: PhaseName | null } & (
  | { kind: 'cancel'; actor: string; reason: string }
  | { kind: 'skip'; actor: string; reason: string }
  | { kind: 'reset'; actor: string; reason: string; phase: PhaseName }
  | { kind: 'force_complete'; actor: string; reason: string }
  | { kind: 'retry'; actor: string; hint?: string; model?: string }
);

const INTERRUPTING: readonly OverrideAction[] = ['skip', 'reset', 'force_complete', 'cancel', 'retry'];

type Decision = { approved: true; actor: string; comment?: string } | { approved: false; actor: string; comment: string; returnTo: PhaseName };

/** A model chosen for a piece of work, why, and what could be called at that moment. */
type Routed = { choice: ModelChoice; reason: string; availability: ModelAvailability };

/** How a phase ended, for the main loop. */
type PhaseEnd = { next: 'advance' } | { next: 'goto'; phase: PhaseName; reviewerComment?: string } | { next: 'complete_now' } | { next: 'cancelled' };

const DEPENDENCY_RECHECK = '1 hour';

/**
 * One subtask, from "start" to "merged": workspace, baseline, the TDD phases with their checks and
 * retries, the approval gates by risk, the merge. Every step is durable; every transition, handoff
 * and override is written to the audit log.
 */
export async function subtaskWorkflow(input: SubtaskWorkflowInput): Promise<SubtaskOutcome> {
  const { spec, project, phases, settings } = input;
  const ladder = input.ladder ?? LADDER_OF_EARLIER_SUBTASKS;
  const info = workflowInfo();
  const state: SubtaskState = {
    workflowId: info.workflowId,
    subtaskId: input.subtaskId,
    project: spec.project,
    key: spec.key,
    title: spec.title,
    risk: spec.risk,
    status: 'pending',
    phase: null,
    attempt: 0,
    maxAttempts: settings.maxAttempts,
    paused: false,
    shas: {},
    checklist: buildChecklist(phases, spec.acceptanceCriteria),
    progress: '',
    skipped: [],
    queues: { orchestrator: TASK_QUEUES.orchestrator, tester: TASK_QUEUES.tester, developer: TASK_QUEUES.developer },
    costUsd: '0.000000000000',
  };
  state.progress = checklistProgress(state.checklist);

  const progress = oneAtATime(proxyLocalActivities<ProgressActivities>({ startToCloseTimeout: '30 seconds', retry: { maximumInterval: '10 seconds' } }));
  const workspace = proxyActivities<WorkspaceActivities>({
    taskQueue: TASK_QUEUES.orchestrator,
    startToCloseTimeout: '5 minutes',
    retry: { maximumAttempts: 5, nonRetryableErrorTypes: ['WorkspaceError'] },
  });
  const runner = proxyActivities<CheckActivities>({
    taskQueue: TASK_QUEUES.runner,
    startToCloseTimeout: settings.checkTimeoutMs,
    heartbeatTimeout: settings.heartbeatTimeoutMs,
    retry: { maximumAttempts: 3 },
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
  const orchestrator = proxyActivities<ReviewActivities>({
    taskQueue: TASK_QUEUES.orchestrator,
    startToCloseTimeout: settings.agentTimeoutMs,
    heartbeatTimeout: settings.heartbeatTimeoutMs,
    retry: { maximumAttempts: 2, nonRetryableErrorTypes: Object.values(AGENT_FAILURE_TYPES) },
  });
  const agentOn = (taskQueue: string) =>
    proxyActivities<AgentActivities>({
      taskQueue,
      startToCloseTimeout: settings.agentTimeoutMs,
      heartbeatTimeout: settings.heartbeatTimeoutMs,
      retry: { maximumAttempts: 3, nonRetryableErrorTypes: Object.values(AGENT_FAILURE_TYPES) },
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    });

  // --- the audit log ------------------------------------------------------------------------------

  let sequence = 0;
  // What an update handler records is keyed by the update: when a workflow task that ran a handler
  // fails, its retry may run the handler after other work, and a key by order would then differ.
  const auditsOfUpdate = new Map<string, number>();
  const auditKey = () => {
    const updateId = currentUpdateInfo()?.id;
    if (updateId === undefined) return `${info.workflowId}/${info.runId}/${++sequence}`;
    const count = (auditsOfUpdate.get(updateId) ?? 0) + 1;
    auditsOfUpdate.set(updateId, count);
    return `${info.workflowId}/${info.runId}/update/${updateId}/${count}`;
  };
  const audit = async (events: AuditEvent[], update?: Parameters<ProgressActivities['recordProgress']>[0]['update']) => {
    const key = auditKey();
    await progress.recordProgress({
      subtaskId: input.subtaskId,
      projectId: project.id,
      workflowId: info.workflowId,
      key,
      at: Date.now(),
      update,
      events,
    });
  };

  const transition = async (to: SubtaskStatus, message: string, extra: { events?: AuditEvent[]; data?: Record<string, unknown>; started?: boolean; completed?: boolean } = {}) => {
    const from = state.status;
    assertTransition(from, to);
    state.status = to;
    upsertSearchAttributes([
      { key: statusKey, value: to },
      { key: phaseKey, value: state.phase ?? 'none' },
    ]);
    await audit(
      [
        ...(extra.events ?? []),
        { actor: 'orchestrator', kind: 'subtask.transition', message, data: { from, to, phase: state.phase, attempt: state.attempt, ...extra.data } },
      ],
      { status: to, phase: state.phase, attempt: state.attempt, branch: state.branch, started: extra.started, completed: extra.completed },
    );
  };

  // --- messages -----------------------------------------------------------------------------------

  let interrupt: Interrupt | undefined;
  let decision: Decision | undefined;
  // Read through functions: handlers change these between awaits, which type narrowing cannot see.
  const pendingInterrupt = (): Interrupt | undefined => interrupt;
  const pendingDecision = (): Decision | undefined => decision;
  let currentStep: CancellationScope | undefined;
  const waitingFor = new Set<string>();
  let softLimitAnnounced = false;
  // A person's choice of model for the current phase (retry with another model), and what routing saw last.
  let chosenModel: string | undefined;
  let lastAvailability: ModelAvailability = { available: [], openCircuits: {} };
  let councils = 0;

  const interruptWith = (next: Interrupt) => {
    if (interrupt?.kind === 'cancel') return;
    interrupt = next;
    currentStep?.cancel();
  };

  setHandler(stateQuery, () => state);

  let budgetChangedBy: string | undefined;
  setHandler(budgetChangedSignal, ({ actor }) => {
    budgetChangedBy = actor;
  });

  setHandler(
    approveUpdate,
    (approval) => {
      decision = { approved: true, actor: approval.actor!, comment: approval.comment };
      return state;
    },
    {
      validator: (approval) => {
        const parsed = ApproveInput.safeParse(approval);
        if (!parsed.success) throw ApplicationFailure.nonRetryable(describeIssues(parsed.error), 'InvalidInput');
        const noActor = missingActor(approval);
        if (noActor) throw ApplicationFailure.nonRetryable(noActor, 'InvalidInput');
        if (!state.pendingGate || pendingDecision()) throw ApplicationFailure.nonRetryable(nothingPending(state), 'NothingToApprove');
      },
    },
  );

  setHandler(
    rejectUpdate,
    (rejection) => {
      decision = { approved: false, actor: rejection.actor!, comment: rejection.comment, returnTo: rejection.returnTo };
      return state;
    },
    {
      validator: (rejection) => {
        const parsed = RejectInput.safeParse(rejection);
        if (!parsed.success) throw ApplicationFailure.nonRetryable(describeIssues(parsed.error), 'InvalidInput');
        const noActor = missingActor(rejection);
        if (noActor) throw ApplicationFailure.nonRetryable(noActor, 'InvalidInput');
        if (!state.pendingGate || pendingDecision()) throw ApplicationFailure.nonRetryable(nothingPending(state), 'NothingToApprove');
        const target = phases.find((phase) => phase.name === rejection.returnTo);
        if (!target || target.check === 'merge') {
          throw ApplicationFailure.nonRetryable(`${rejection.returnTo} is not a phase to return to: name one of ${workPhases(phases).join(', ')}`, 'InvalidInput');
        }
        const first = workPhases(phases)[0]!;
        if (state.pendingGate.gate === 'plan' && rejection.returnTo !== first) {
          throw ApplicationFailure.nonRetryable(`nothing has been done yet: a rejected plan starts again at ${first}, with your comment`, 'InvalidInput');
        }
      },
    },
  );

  setHandler(
    overrideUpdate,
    async (override) => {
      const actor = override.actor!;
      const during = state.phase;
      // Applied at once, so the next override is validated against it; written to the audit log
      // before the update answers.
      switch (override.action) {
        case 'pause':
          state.paused = true;
          break;
        case 'resume':
          state.paused = false;
          break;
        case 'reassign':
          state.queues[override.role] = override.taskQueue;
          break;
        case 'skip':
          interruptWith({ kind: 'skip', actor, reason: override.reason, during });
          break;
        case 'reset':
          interruptWith({ kind: 'reset', actor, reason: override.reason, phase: override.phase, during });
          break;
        case 'force_complete':
          interruptWith({ kind: 'force_complete', actor, reason: override.reason, during });
          break;
        case 'cancel':
          interruptWith({ kind: 'cancel', actor, reason: override.reason, during });
          break;
        case 'retry':
          interruptWith({ kind: 'retry', actor, hint: override.hint, model: override.model, during });
          break;
      }
      await audit([
        {
          actor,
          kind: `override.${override.action}`,
          message: `${override.action.replace('_', ' ')}${'phase' in override ? ` to ${override.phase}` : ''}${override.reason ? `: ${override.reason}` : ''}`,
          data: { ...override, during, status: state.status },
        },
      ]);
      return state;
    },
    {
      validator: (override) => {
        const parsed = OverrideInput.safeParse(override);
        if (!parsed.success) throw ApplicationFailure.nonRetryable(describeIssues(parsed.error), 'InvalidInput');
        const noActor = missingActor(override);
        if (noActor) throw ApplicationFailure.nonRetryable(noActor, 'InvalidInput');
        const problem = overrideProblem(override, state, phases, pendingInterrupt()) ?? (override.action === 'retry' && override.model && !input.models.registry[override.model] ? `${override.model} is not in the model registry; the models are ${Object.keys(input.models.registry).join(', ')}` : undefined);
        if (problem) throw ApplicationFailure.nonRetryable(problem, 'OverrideNotPossible');
      },
    },
  );

  setHandler(dependencyCompletedSignal, ({ key }) => {
    waitingFor.delete(key);
  });

  // --- steps --------------------------------------------------------------------------------------

  /** Runs a step that an override may cut short; returns undefined when it was. */
  async function interruptible<T>(step: () => Promise<T>): Promise<T | undefined> {
    if (pendingInterrupt()) return undefined;
    const scope = new CancellationScope();
    currentStep = scope;
    try {
      return await scope.run(step);
    } catch (error) {
      if (pendingInterrupt() && isCancellation(error)) return undefined;
      throw error;
    } finally {
      currentStep = undefined;
    }
  }

  const waitWhilePaused = async () => {
    if (!state.paused) return;
    await condition(() => !state.paused || pendingInterrupt() !== undefined);
  };

  /** Waits for a person to answer a block with one of its options (or force complete, or cancel). */
  async function waitForHuman(phase: string, block: Omit<BlockedState, 'since' | 'escalationId'> & { options: Array<OverrideAction | 'retry_with_model'> }, tier: number): Promise<Interrupt> {
    const answer = await escalate(phase, block, tier);
    // Only a block that offers raise_budget can end with the budget changed.
    if (answer === 'budget_changed') throw ApplicationFailure.nonRetryable('a block without raise_budget ended with the budget changed', 'InvariantBroken');
    return answer;
  }

  /**
   * Blocks with an escalation until a person answers: with an override, or — for a block that offers
   * `raise_budget` — by changing the project's budget (then this returns 'budget_changed').
   */
  async function escalate(phase: string, block: Omit<BlockedState, 'since' | 'escalationId'>, tier: number): Promise<Interrupt | 'budget_changed'> {
    const escalationId = uuid4();
    const waitsForBudget = block.options.includes('raise_budget');
    state.blocked = { ...block, since: new Date(Date.now()).toISOString(), escalationId };
    state.blocked.tier = tier;
    await progress.openEscalation({
      id: escalationId,
      subtaskId: input.subtaskId,
      phase,
      tier,
      reason: block.reason,
      options: block.options.map((option) => ({ id: option, label: OPTION_LABELS[option], detail: block.details?.[option] })),
      recommendedOption: block.options[0]!,
    });
    await transition('blocked', `blocked in ${phase}: ${block.reason}`, { data: { escalationId, options: block.options, tier } });
    // Nobody answering is not forgotten: a reminder now and then, in the log and on the escalation.
    for (let reminders = 1; ; reminders++) {
      if (await condition(() => pendingInterrupt() !== undefined || (waitsForBudget && budgetChangedBy !== undefined), ladder.reminderMs > 0 ? ladder.reminderMs : undefined)) break;
      await progress.remindEscalation({ id: escalationId, at: Date.now() });
      await audit([{ actor: 'orchestrator', kind: 'escalation.reminder', message: `still waiting for a person (reminder ${reminders}): ${block.reason}`, data: { escalationId, options: block.options } }]);
    }
    state.blocked = undefined;
    if (!pendingInterrupt()) {
      const actor = budgetChangedBy!;
      budgetChangedBy = undefined;
      await progress.resolveEscalation({ id: escalationId, status: 'resolved', chosenOption: 'raise_budget', resolvedBy: actor, comment: 'the project budget was changed', at: Date.now() });
      return 'budget_changed';
    }
    const answer = takeInterrupt();
    await progress.resolveEscalation({
      id: escalationId,
      status: answer.kind === 'cancel' ? 'withdrawn' : 'resolved',
      chosenOption: answer.kind,
      resolvedBy: answer.actor,
      comment: 'reason' in answer ? answer.reason : answer.hint,
      at: Date.now(),
    });
    return answer;
  }

  /**
   * A step that must succeed before the work can go on (setup, baseline, merge): when it fails, a
   * person decides (retry, or the other options). Returns the result, or the interrupt that ended it.
   */
  async function mustSucceed<T>(what: string, phase: string, step: () => Promise<T>, options: OverrideAction[] = ['retry', 'cancel']): Promise<{ ok: T } | { answer: Interrupt }> {
    for (;;) {
      try {
        const result = await interruptible(step);
        if (result === undefined) return { answer: takeInterrupt() };
        return { ok: result };
      } catch (error) {
        if (isCancellation(error)) throw error;
        const answer = await waitForHuman(phase, { reason: `${what} failed: ${failureMessage(error)}`, options }, 1);
        if (answer.kind !== 'retry') return { answer };
      }
    }
  }

  function takeInterrupt(): Interrupt {
    const current = interrupt!;
    interrupt = undefined;
    return current;
  }

  /** Ends the workflow once every update handler has finished writing its audit entry. */
  async function done(outcome: SubtaskOutcome): Promise<SubtaskOutcome> {
    await condition(allHandlersFinished);
    return outcome;
  }

  const phaseIndex = (name: PhaseName) => phases.findIndex((phase) => phase.name === name);

  // --- the subtask --------------------------------------------------------------------------------

  try {
    const assessed = assessComplexity(spec, input.models.routing);
    state.routing = { complexity: assessed.score, level: assessed.level, hardStop: assessed.hardStop, reason: assessed.reason };
    await audit(
      [
        { actor: input.startedBy, kind: 'subtask.started', message: `subtask ${spec.key} started: ${spec.title}`, data: { risk: spec.risk } },
        { actor: 'orchestrator', kind: 'routing.decided', message: `routing: ${assessed.reason}`, data: { ...assessed } },
      ],
      { complexity: assessed.score, routing: { ...state.routing } },
    );

    if (spec.dependencies.length > 0) {
      const waited = await waitForDependencies();
      if (waited === 'cancelled') return await finishCancelled();
    }

    let startAt = 0;
    let pendingReviewerComment: string | undefined;
    if (spec.risk === 'high') {
      const planDecision = await gate('plan');
      if (planDecision === 'cancelled') return await finishCancelled();
      if (planDecision !== 'approved') {
        // A rejected plan starts at the first phase, with the reviewer's comment.
        pendingReviewerComment = planDecision.reviewerComment;
        startAt = phaseIndex(planDecision.phase);
      }
    }
    await waitWhilePaused();
    if (pendingInterrupt()?.kind === 'cancel') return await finishCancelled();

    state.phase = null;
    const setup = await mustSucceed('setting up the workspace', 'setup', () =>
      workspace.prepareWorkspace({ project: project.name, repoPath: project.repoPath, baseBranch: project.baseBranch, key: spec.key, title: spec.title }),
    );
    if ('answer' in setup) return await finishCancelled();
    const prepared = setup.ok;
    state.branch = prepared.branch;
    state.worktree = prepared.worktree;
    state.shas.base = prepared.baseSha;
    let head = prepared.baseSha;
    await transition('in_progress', `worktree ready on ${prepared.branch} from ${project.baseBranch} (${short(prepared.baseSha)})`, {
      started: true,
      data: { branch: prepared.branch, baseSha: prepared.baseSha },
    });

    const measured = await mustSucceed('the baseline (install and tests on the base branch)', 'setup', () =>
      runner.runBaseline({
        workflowId: info.workflowId,
        subtaskId: input.subtaskId,
        projectId: project.id,
        worktree: prepared.worktree,
        installCommand: project.installCommand,
        suites: project.suites,
      }),
    );
    // Before the phases, only a cancel can end a step (skip and reset need a phase, force a baseline).
    if ('answer' in measured) return await finishCancelled();
    const baseline = measured.ok;
    state.baseline = { file: baseline.file, passing: baseline.passing, failing: baseline.failing };
    await audit([
      {
        actor: 'runner',
        kind: 'check.baseline',
        message: `baseline on ${project.baseBranch}: ${baseline.passing} test(s) pass${baseline.failing > 0 ? `, ${baseline.failing} already fail (not this subtask's to fix)` : ''}`,
        data: { runs: baseline.runs },
      },
    ]);

    const phaseStarts: Partial<Record<PhaseName, string>> = {};
    let index = startAt;
    let reviewerComment = pendingReviewerComment;

    /** Back to an earlier phase: its work and everything after it is to be done again. */
    const goBackTo = (target: PhaseName): number => {
      const targetIndex = phaseIndex(target);
      for (const later of phases.slice(targetIndex)) {
        delete state.shas[later.name];
        state.checklist = markPhase(state.checklist, later.name, false);
      }
      state.progress = checklistProgress(state.checklist);
      head = phaseStarts[target] ?? head;
      return targetIndex;
    };

    const completeDefinition = phases.find((phase) => phase.check === 'merge')!;
    while (index < phases.length) {
      await waitWhilePaused();
      if (pendingInterrupt()?.kind === 'cancel') return await finishCancelled();
      const phase = phases[index]!;

      if (phase.check === 'merge' || pendingInterrupt()?.kind === 'force_complete') {
        const forced = pendingInterrupt()?.kind === 'force_complete';
        if (forced) interrupt = undefined;
        const end = await completePhase(completeDefinition, forced);
        if (end.next === 'cancelled') return await finishCancelled();
        if (end.next === 'goto') {
          index = goBackTo(end.phase);
          reviewerComment = end.reviewerComment;
          continue;
        }
        return await done({ status: 'completed', shas: state.shas, redEvidence: state.redEvidence });
      }

      phaseStarts[phase.name] = head;
      const end = await runPhase(phase, head, { reviewerComment });
      reviewerComment = undefined;
      if (end.outcome === 'cancelled') return await finishCancelled();
      if (end.outcome === 'passed' || end.outcome === 'skipped') {
        head = end.sha ?? head;
        index += 1;
        continue;
      }
      if (end.outcome === 'reset') {
        index = goBackTo(end.phase);
        continue;
      }
      if (end.outcome === 'complete_now') interrupt = { kind: 'force_complete', actor: end.actor, reason: end.reason, during: phase.name };
    }
    return await done({ status: 'completed', shas: state.shas, redEvidence: state.redEvidence });
  } catch (error) {
    if (isCancellation(error)) {
      // Temporal-level cancellation (from the Temporal UI or CLI) ends like the cancel override.
      return await CancellationScope.nonCancellable(() => finishCancelled());
    }
    throw error;
  }

  // --- phases -------------------------------------------------------------------------------------

  type RunEnd =
    | { outcome: 'passed' | 'skipped'; sha?: string }
    | { outcome: 'reset'; phase: PhaseName }
    | { outcome: 'complete_now'; actor: string; reason: string }
    | { outcome: 'cancelled' };

  /** An agent phase: attempts, each an agent run and a check, until the check passes or a person decides. */
  async function runPhase(phase: PhaseDefinition, startSha: string, phaseGuidance: { reviewerComment?: string }): Promise<RunEnd> {
    state.phase = phase.name;
    state.lastFailure = undefined;
    let failure: FailureSummary | undefined;
    let hint: string | undefined;
    const role = phase.role === 'orchestrator' ? 'developer' : phase.role;

    let attempt = 0;
    let providerTrouble = 0;
    // The ladder: tier 1 retries up to `limit`; tier 2 a strategic review (its guidance, more attempts);
    // tier 3 a council; tier 4 a person. Tiers 2 and 3 are climbed once per phase.
    let limit = settings.maxAttempts;
    let reviewed = false;
    let councilTried = false;
    let guidance: string | undefined;
    const failures: FailureSummary[] = [];
    const triedModels = new Set<string>();
    chosenModel = undefined;
    state.guidance = undefined;
    state.council = undefined;
    state.escalationTier = 1;
    for (;;) {
      attempt += 1;
      state.attempt = attempt;
      await waitWhilePaused();
      if (pendingInterrupt()) {
        const end = await applyInterrupt(takeInterrupt(), phase.name);
        if (end === 'retry') attempt = 0;
        else if (end === 'redo') attempt -= 1;
        else return end;
        continue;
      }
      const routed = await routeAttempt(phase.name, { role, attempt });
      if ('answer' in routed) {
        const end = await applyInterrupt(routed.answer, phase.name);
        if (end === 'retry') attempt = 0;
        else if (end === 'redo') attempt -= 1;
        else return end;
        continue;
      }
      // Routing may have waited (a budget hold, an open circuit): a pause given meanwhile holds now.
      if (state.paused || pendingInterrupt()) {
        attempt -= 1;
        continue;
      }
      state.model = { id: routed.choice.id, reason: routed.reason };
      triedModels.add(routed.choice.id);
      if (failure && (state.status === 'failed' || state.status === 'blocked')) {
        await transition('retrying', `${phase.name}: attempt ${attempt} of ${settings.maxAttempts}, with the last failure in its prompt`);
      } else if (state.status !== 'in_progress' && state.status !== 'retrying') {
        await transition('in_progress', `${phase.name}: the ${phase.role} starts`);
      }
      const queue = state.queues[role];
      await audit([
        {
          actor: 'orchestrator',
          kind: 'phase.handoff',
          message: `${phase.name} attempt ${attempt} handed to the ${phase.role} on ${queue}, with ${routed.choice.id} (${routed.reason})`,
          data: { phase: phase.name, attempt, role: phase.role, taskQueue: queue, startSha, model: routed.choice.id, modelReason: routed.reason },
        },
      ]);

      let agent: AgentPhaseResult | undefined;
      let agentFailure: string | undefined;
      try {
        agent = await interruptible(() =>
          agentOn(queue).runAgentPhase({
            workflowId: info.workflowId,
            subtaskId: input.subtaskId,
            projectId: project.id,
            spec,
            phase: phase.name,
            role,
            goal: phase.goal,
            attempt,
            worktree: state.worktree!,
            startSha,
            territory: project.territories[role],
            suites: project.suites,
            model: routed.choice,
            checklist: state.checklist,
            context: {
              failure: failure && { reason: failure.reason, failingTests: failure.failingTests, outputTail: failure.outputTail },
              previousSha: failure?.sha,
              reviewerComment: phaseGuidance.reviewerComment,
              hint,
              guidance,
            },
          }),
        );
      } catch (error) {
        const type = failureType(error);
        if (type === AGENT_FAILURE_TYPES.budget || (type === AGENT_FAILURE_TYPES.provider && providerTrouble < MAX_PROVIDER_TROUBLE)) {
          // Not the agent's attempt failing: route again (a fallback model, or a block on the budget).
          providerTrouble += type === AGENT_FAILURE_TYPES.provider ? 1 : 0;
          await audit([
            {
              actor: 'orchestrator',
              kind: type === AGENT_FAILURE_TYPES.budget ? 'budget.emergency_stop' : 'routing.provider_failure',
              message: `${phase.name} attempt ${attempt} on ${routed.choice.id} stopped: ${failureMessage(error)}${type === AGENT_FAILURE_TYPES.provider ? '; routing it again' : ''}`,
              data: { phase: phase.name, attempt, model: routed.choice.id, provider: routed.choice.provider },
            },
          ]);
          if (type === AGENT_FAILURE_TYPES.provider) {
            const pause = await interruptible(() => sleep(Math.min(settings.retryBackoffMs * 2 ** (providerTrouble - 1), settings.retryBackoffMaxMs)).then(() => true));
            if (pause === undefined) {
              const end = await applyInterrupt(takeInterrupt(), phase.name);
              if (end === 'retry') attempt = 0;
              else if (end === 'redo') attempt -= 1;
              else return end;
              continue;
            }
          }
          attempt -= 1;
          continue;
        }
        agentFailure = agentFailureMessage(error);
      }
      providerTrouble = 0;

      let check: CheckResult | undefined;
      if (agent) {
        state.costUsd = formatUsdExact(parseUsd(state.costUsd) + parseUsd(agent.costUsd));
        await transition('testing', `${phase.name}: the ${phase.role} committed ${short(agent.sha)}; the runner checks it`, {
          events: [
            {
              actor: phase.role,
              kind: 'phase.commit',
              message: `${phase.role} finished ${phase.name}: ${agent.summary}`,
              data: {
                sha: agent.sha,
                files: agent.filesWritten,
                reverted: agent.reverted,
                steps: agent.steps,
                attempt,
                model: routed.choice.id,
                calls: agent.calls,
                costUsd: agent.costUsd,
              },
            },
            ...(agent.pruned.length > 0
              ? [
                  {
                    actor: 'orchestrator',
                    kind: 'prompt.pruned',
                    message: `to fit ${routed.choice.id}'s prompt budget: ${agent.pruned.map((item) => `${item.rule.replaceAll('_', ' ')} (${item.tool}, step ${item.step}, ${item.originalChars} → ${item.keptChars} characters)`).join('; ')}`,
                    data: { phase: phase.name, attempt, model: routed.choice.id, pruned: agent.pruned },
                  },
                ]
              : []),
          ],
        });
        try {
          check = await interruptible(() =>
            runner.runCheck({
              workflowId: info.workflowId,
              subtaskId: input.subtaskId,
              projectId: project.id,
              phase: phase.name,
              attempt,
              purpose: 'attempt',
              kind: phase.check === 'new_tests_fail' ? 'new_tests_fail' : 'suite_passes',
              suite: phase.suite,
              worktree: state.worktree!,
              sha: agent!.sha,
              suites: project.suites,
              baselineFile: state.baseline!.file,
            }),
          );
        } catch (error) {
          if (isCancellation(error)) throw error;
          agentFailure = `the check could not run: ${failureMessage(error)}`;
        }
      }

      if (pendingInterrupt()) {
        const end = await applyInterrupt(takeInterrupt(), phase.name);
        if (end === 'retry') attempt = 0;
        else if (end === 'redo') attempt -= 1;
        else return end;
        continue;
      }

      if (agent && check?.passed) {
        await recordPass(phase, attempt, agent.sha, check, agent.criteria);
        return { outcome: 'passed', sha: agent.sha };
      }

      failure = {
        phase: phase.name,
        attempt,
        reason: agentFailure ?? check?.reason ?? 'the step did not finish',
        failingTests: check?.failingTests ?? [],
        outputTail: check?.outputTail ?? '',
        sha: agent?.sha,
        logFiles: check?.runs.map((run) => run.logFile) ?? [],
      };
      state.lastFailure = failure;
      failures.push(failure);
      await transition('failed', `${phase.name} attempt ${attempt} failed: ${failure.reason}`, {
        data: { failingTests: failure.failingTests, logFiles: failure.logFiles, sha: failure.sha },
      });

      if (attempt >= limit) {
        const tiers = { strategicReview: ladder.strategicReview, council: ladder.council.enabled, ...ladder.phases[phase.name] };
        let climbed: string[] = [];
        if (tiers.strategicReview && !reviewed) {
          reviewed = true;
          state.escalationTier = 2;
          const review = await reviewFailures(phase, role, startSha, failures);
          if ('answer' in review) {
            const end = await applyInterrupt(review.answer, phase.name);
            if (end === 'retry') attempt = 0;
            else if (end === 'redo') attempt -= 1;
            else return end;
            continue;
          }
          if ('note' in review) {
            climbed = [...climbed, review.note];
          } else {
            guidance = review.guidance;
            limit = attempt + ladder.reviewAttempts;
            continue;
          }
        }
        if (tiers.council && !councilTried) {
          councilTried = true;
          state.escalationTier = 3;
          const convened = await convene(phase, role, startSha, failure, failures.length, guidance);
          if ('answer' in convened) {
            const end = await applyInterrupt(convened.answer, phase.name);
            if (end === 'retry') attempt = 0;
            else if (end === 'redo') attempt -= 1;
            else return end;
            continue;
          }
          if ('sha' in convened) return { outcome: 'passed', sha: convened.sha };
          climbed = [...climbed, convened.reason];
        }
        state.escalationTier = 4;
        const otherModel = untriedModel(triedModels);
        const offered = humanOptions({ otherModel, earlierPhase: phaseIndex(phase.name) > 0 ? phases[phaseIndex(phase.name) - 1]!.name : undefined });
        const answer = await waitForHuman(
          phase.name,
          {
            reason: `${failures.length} attempt(s) of ${phase.name} failed${reviewed ? ' (with a strategic review)' : ''}${climbed.length > 0 ? `; ${climbed.join('; ')}` : ''}; last: ${failure.reason}`,
            options: offered.options,
            details: offered.details,
          },
          tiers.strategicReview || tiers.council ? 4 : 1,
        );
        const end = await applyInterrupt(answer, phase.name);
        if (end === 'retry' || end === 'redo') {
          attempt = 0;
          limit = settings.maxAttempts;
          state.escalationTier = 1;
        } else return end;
        continue;
      }
      const backoff = Math.min(settings.retryBackoffMs * 2 ** (attempt - 1), settings.retryBackoffMaxMs);
      await interruptible(() => sleep(backoff));
    }

    /**
     * How an override ends the phase: `retry` starts its attempts again with the person's hint;
     * `redo` runs the interrupted attempt again (a skip meant for a phase that had already ended).
     */
    async function applyInterrupt(answer: Interrupt, phaseName: PhaseName): Promise<RunEnd | 'retry' | 'redo'> {
      switch (answer.kind) {
        case 'cancel':
          interrupt = answer;
          return { outcome: 'cancelled' };
        case 'skip':
          if (answer.during !== phaseName) {
            await audit([
              { actor: 'orchestrator', kind: 'override.ignored', message: `the skip of ${answer.during ?? 'nothing'} came after that phase ended; ${phaseName} goes on`, data: { ...answer } },
            ]);
            return 'redo';
          }
          state.skipped.push(phaseName);
          state.checklist = markPhase(state.checklist, phaseName, true, `skipped by ${answer.actor}: ${answer.reason}`);
          state.progress = checklistProgress(state.checklist);
          if (state.status !== 'in_progress') await transition('in_progress', `${phaseName} skipped by ${answer.actor}`);
          return { outcome: 'skipped' };
        case 'reset':
          if (state.status !== 'in_progress') await transition('in_progress', `reset to ${answer.phase} by ${answer.actor}`);
          return { outcome: 'reset', phase: answer.phase };
        case 'force_complete':
          return { outcome: 'complete_now', actor: answer.actor, reason: answer.reason };
        case 'retry':
          hint = answer.hint;
          if (answer.model) {
            chosenModel = answer.model;
            await audit([{ actor: answer.actor, kind: 'routing.chosen', message: `${phaseName} goes on with ${answer.model}, chosen by ${answer.actor}`, data: { phase: phaseName, model: answer.model } }]);
          }
          return 'retry';
      }
    }
  }

  /**
   * The model for the next agent attempt, decided now: the budget first (a hard or emergency tier
   * blocks until a person raises the limit or cancels; soft downgrades), then the first model of the
   * preference list whose provider can be called (a failing provider's work goes to the fallback).
   */
  async function routeAttempt(phaseName: PhaseName, work: { role: 'tester' | 'developer'; attempt: number }): Promise<Routed | { answer: Interrupt }>;
  async function routeAttempt(phaseName: PhaseName, work: 'strategic'): Promise<Routed | { answer: Interrupt } | { unavailable: string; availability: ModelAvailability }>;
  async function routeAttempt(phaseName: PhaseName, work: { role: 'tester' | 'developer'; attempt: number } | 'strategic'): Promise<Routed | { answer: Interrupt } | { unavailable: string; availability: ModelAvailability }> {
    let unservedLooks = 0;
    for (;;) {
      budgetChangedBy = undefined;
      const context = await progress.modelContext({ projectId: project.id, subtaskId: input.subtaskId, phase: phaseName });
      lastAvailability = context.availability;
      state.costUsd = context.subtaskSpentUsd;
      state.budget = { tier: context.budget.tier, spentUsd: context.budget.spentUsd, limits: context.budget.limits };
      const spent = parseUsd(context.budget.spentUsd);
      if (atLeast(context.budget.tier, 'hard')) {
        const reason = `budget: ${describeSpend(spent, context.budget.tier, context.budget.limits)}; raise the project's limits or cancel`;
        await audit([{ actor: 'orchestrator', kind: `budget.${context.budget.tier}`, message: `${phaseName} holds: ${reason}`, data: { ...state.budget } }]);
        const answer = await escalate(phaseName, { reason, options: ['raise_budget', 'cancel'] }, 4);
        if (answer === 'budget_changed') continue;
        return { answer };
      }
      if (context.budget.tier === 'soft' && !softLimitAnnounced) {
        softLimitAnnounced = true;
        await audit([
          {
            actor: 'orchestrator',
            kind: 'budget.soft',
            message: `budget warning: ${describeSpend(spent, 'soft', context.budget.limits)}; routine work goes to the cheaper models`,
            data: { ...state.budget },
          },
        ]);
      }
      const forced = work === 'strategic' ? undefined : chosenModel;
      if (forced && context.availability.available.includes(forced) && !context.availability.openCircuits[input.models.registry[forced]!.provider]) {
        return { choice: choiceOf(forced), reason: `chosen by a person for this phase`, availability: context.availability };
      }
      const champion = work !== 'strategic' && work.attempt === 1 ? context.champion : undefined;
      const decision = chooseModel(
        input.models,
        work === 'strategic'
          ? { purpose: 'strategic' }
          : {
              purpose: 'agent',
              role: work.role,
              phase: phaseName,
              level: state.routing!.level,
              tier: context.budget.tier,
              prefer: champion && { model: champion.model, why: `it won ${champion.wins} of ${champion.councils} ${phaseName} councils` },
            },
        context.availability,
      );
      if (decision.model === undefined) {
        // Strategic work is a help, not a step: without a model for it the ladder goes on.
        if (work === 'strategic') return { unavailable: decision.reason, availability: context.availability };
        if (decision.retryAt) {
          const wait = Math.max(1_000, Date.parse(decision.retryAt) - Date.now());
          await audit([{ actor: 'orchestrator', kind: 'routing.waiting', message: `${phaseName} waits ${Math.ceil(wait / 1000)} s: ${decision.reason}` }]);
          const waited = await interruptible(() => sleep(wait).then(() => true));
          if (waited === undefined) return { answer: takeInterrupt() };
          continue;
        }
        // Gateways may be starting (or restarting): look again for a minute before asking a person.
        if (unservedLooks < UNSERVED_LOOKS) {
          if (unservedLooks === 0) await audit([{ actor: 'orchestrator', kind: 'routing.waiting', message: `${phaseName} waits for a model gateway: ${decision.reason}` }]);
          unservedLooks += 1;
          const waited = await interruptible(() => sleep(UNSERVED_LOOK_INTERVAL).then(() => true));
          if (waited === undefined) return { answer: takeInterrupt() };
          continue;
        }
        unservedLooks = 0;
        const answer = await escalate(phaseName, { reason: decision.reason, options: ['retry', 'cancel'] }, 4);
        if (answer === 'budget_changed') continue;
        return { answer };
      }
      if (decision.passedOver.length > 0) {
        await audit([
          {
            actor: 'orchestrator',
            kind: 'routing.fallback',
            message: `${decision.passedOver.map((skip) => `${skip.model} skipped (${skip.provider} is failing; tried again after ${skip.until})`).join('; ')}: ${decision.model} takes the work`,
            data: { phase: phaseName, model: decision.model, passedOver: decision.passedOver },
          },
        ]);
      }
      return { choice: choiceOf(decision.model), reason: decision.reason, availability: context.availability };
    }
  }

  function choiceOf(id: string): ModelChoice {
    const entry = input.models.registry[id]!;
    return { ...entry, id, providerSettings: input.models.providers[entry.provider]! };
  }

  /** A phase's check passed on this commit: the phase is done, its evidence kept. */
  async function recordPass(phase: PhaseDefinition, attempt: number, sha: string, check: CheckResult, criteria?: AgentPhaseResult['criteria']) {
    state.shas[phase.name] = sha;
    state.checklist = markPhase(state.checklist, phase.name, true);
    for (const criterion of criteria ?? []) state.checklist = markCriterion(state.checklist, criterion.index, criterion.met, criterion.note);
    state.progress = checklistProgress(state.checklist);
    state.escalationTier = undefined;
    if (phase.name === 'red') {
      state.redEvidence = { sha, logFiles: check.runs.map((run) => run.logFile), newFailingTests: check.newFailingTests, reason: check.reason };
    }
    await audit([
      {
        actor: 'runner',
        kind: phase.check === 'new_tests_fail' ? 'check.red_evidence' : 'check.passed',
        message: `${phase.name} check passed: ${check.reason}`,
        data: { phase: phase.name, attempt, sha, runs: check.runs, newFailingTests: check.newFailingTests, progress: state.progress },
      },
    ]);
  }

  /**
   * Tier 2: the strategic model reads the failures and writes guidance for the next attempts.
   * Without a strategic model (or when the review fails) the ladder goes on up, saying why.
   */
  async function reviewFailures(phase: PhaseDefinition, role: 'tester' | 'developer', startSha: string, failures: FailureSummary[]): Promise<{ guidance: string } | { guidance?: undefined; note: string } | { answer: Interrupt }> {
    const routed = await routeAttempt(phase.name, 'strategic');
    if ('answer' in routed) return routed;
    if ('unavailable' in routed) return { note: `no strategic review (${routed.unavailable})` };
    await audit([{ actor: 'orchestrator', kind: 'escalation.review', message: `Escalating ${phase.name} to a strategic review by ${routed.choice.id} after ${failures.length} failed attempt(s) (tier 2)`, data: { phase: phase.name, model: routed.choice.id } }]);
    try {
      const review = await interruptible(() =>
        orchestrator.strategicReview({
          workflowId: info.workflowId,
          subtaskId: input.subtaskId,
          projectId: project.id,
          spec,
          phase: phase.name,
          role,
          goal: phase.goal,
          worktree: state.worktree!,
          startSha,
          failures: failures.map((failure) => ({ attempt: failure.attempt, reason: failure.reason, failingTests: failure.failingTests, outputTail: failure.outputTail, sha: failure.sha })),
          model: routed.choice,
        }),
      );
      if (review === undefined) return { answer: takeInterrupt() };
      state.guidance = review.guidance;
      await audit([
        {
          actor: 'orchestrator',
          kind: 'escalation.guidance',
          message: `Strategic review by ${review.model}: ${review.guidance.split('\n')[0]!.slice(0, 300)}`,
          data: { phase: phase.name, model: review.model, guidance: review.guidance, costUsd: review.costUsd },
        },
      ]);
      return { guidance: review.guidance };
    } catch (error) {
      if (isCancellation(error)) throw error;
      const note = `the strategic review failed (${failureMessage(error)})`;
      await audit([{ actor: 'orchestrator', kind: 'escalation.review_failed', message: `${phase.name}: ${note}`, data: { phase: phase.name } }]);
      return { note };
    }
  }

  /**
   * Tier 3: the council, a child workflow. Its winner, applied to the branch, is checked here like any
   * attempt ("Tests passing — council successful"); no council (its daily budget spent, fewer than two
   * models to ask) or no winner sends the ladder on to a person, with the reason.
   */
  async function convene(phase: PhaseDefinition, role: 'tester' | 'developer', startSha: string, failure: FailureSummary, failedAttempts: number, guidance: string | undefined): Promise<{ sha: string } | { reason: string } | { answer: Interrupt }> {
    const settings = ladder.council;
    const problemType = problemTypeOf(phase.name, failure);
    const routed = await routeAttempt(phase.name, 'strategic');
    if ('answer' in routed) return routed;
    const strategic = 'unavailable' in routed ? undefined : routed.choice.id;
    const context = await progress.councilContext({ problemType });
    if (context.exhausted) {
      const reason = `no council: the councils' daily budget is spent (${formatUsd(parseUsd(context.spentTodayUsd))} of ${formatUsd(parseUsd(context.dailyUsd))} today)`;
      await audit([{ actor: 'orchestrator', kind: 'council.skipped', message: `${phase.name}: ${reason}`, data: { ...context } }]);
      return { reason };
    }
    const callable = routed.availability.available.filter((model) => !routed.availability.openCircuits[input.models.registry[model]!.provider]);
    const routing = input.models.routing;
    const members = councilMembers(settings.members, [...routing.strategic, ...routing.tactical.strong, ...routing.strongest, ...routing.tactical.cheap], (model) => input.models.registry[model]?.provider, callable, settings.size);
    if (members.length < 2) {
      const reason = `no council: it needs two models that can be called, and ${members.length === 0 ? 'none can' : `only ${members[0]} can`}`;
      await audit([{ actor: 'orchestrator', kind: 'council.skipped', message: `${phase.name}: ${reason}` }]);
      return { reason };
    }
    const judge = settings.strategy === 'best_reasoning' ? (settings.judge.find((model) => callable.includes(model)) ?? strategic) : undefined;
    councils += 1;
    const workflowId = `council-${info.workflowId}-${phase.name}-${councils}`;
    state.council = { workflowId, members, status: 'running' };
    await audit([{ actor: 'orchestrator', kind: 'escalation.council', message: `Escalating ${phase.name} to the AI council (tier 3): ${members.join(', ')}`, data: { phase: phase.name, workflowId, members, problemType } }]);
    const outcome = await interruptible(() =>
      executeChild(councilWorkflow, {
        workflowId,
        taskQueue: TASK_QUEUES.workflows,
        // A bound on a council that never ends (its members and checks have their own, shorter ones).
        workflowExecutionTimeout: 3 * settings.memberTimeoutMs + 3 * input.settings.checkTimeoutMs + 15 * 60_000,
        args: [
          {
            subtaskWorkflowId: info.workflowId,
            subtaskId: input.subtaskId,
            projectId: project.id,
            project: { name: project.name, repoPath: project.repoPath, suites: project.suites, installCommand: project.installCommand },
            round: councils,
            spec,
            phase,
            role,
            territory: project.territories[role],
            startSha,
            subtaskWorktree: state.worktree!,
            baselineFile: state.baseline!.file,
            checklist: state.checklist,
            failure: { reason: failure.reason, failingTests: failure.failingTests, outputTail: failure.outputTail },
            lastSha: failure.sha,
            guidance,
            failedAttempts,
            problemType,
            members: members.map(choiceOf),
            judge: judge ? choiceOf(judge) : undefined,
            strategy: settings.strategy,
            memberTimeoutMs: settings.memberTimeoutMs,
            maxCostUsd: settings.maxCostUsd,
            winRates: context.winRates,
            heartbeatTimeoutMs: input.settings.heartbeatTimeoutMs,
            checkTimeoutMs: input.settings.checkTimeoutMs,
          },
        ],
      }).catch((error: unknown) => {
        // Cancelled by an override or with the subtask: that ends the step. Cancelled from outside
        // (someone stopped the council's workflow): the council failed, the ladder goes on.
        if (isCancellation(error) && (pendingInterrupt() !== undefined || CancellationScope.current().consideredCancelled)) throw error;
        return new Error(failureMessage(error));
      }),
    );
    if (outcome === undefined) return { answer: takeInterrupt() };
    if (outcome instanceof Error) {
      state.council = { workflowId, members, status: 'failed', reason: outcome.message };
      await progress.abandonCouncil({ workflowId, reason: `the council failed: ${outcome.message}`, at: Date.now() });
      await audit([{ actor: 'orchestrator', kind: 'council.failed', message: `the council itself failed: ${outcome.message}`, data: { workflowId } }]);
      return { reason: `the council itself failed (${outcome.message})` };
    }
    state.council = { workflowId, members, status: outcome.winner ? 'decided' : 'failed', winner: outcome.winner?.model, reason: outcome.reason };
    if (!outcome.winner) return { reason: `the council (${members.join(', ')}) found no candidate that passes: ${outcome.reason}` };

    await transition('testing', `${phase.name}: ${outcome.winner.model}'s candidate is on the branch; the runner checks it`);
    const check = await interruptible(() =>
      runner.runCheck({
        workflowId: info.workflowId,
        subtaskId: input.subtaskId,
        projectId: project.id,
        phase: phase.name,
        attempt: 1_000 * councils,
        purpose: 'council_winner',
        kind: phase.check === 'new_tests_fail' ? 'new_tests_fail' : 'suite_passes',
        suite: phase.suite,
        worktree: state.worktree!,
        sha: outcome.winner!.sha,
        suites: project.suites,
        baselineFile: state.baseline!.file,
      }).catch((error: unknown) => {
        if (isCancellation(error)) throw error;
        return new Error(failureMessage(error));
      }),
    );
    if (check === undefined) return { answer: takeInterrupt() };
    if (check instanceof Error) {
      await progress.recordCouncilOutcome({ sessionId: outcome.sessionId, outcome: 'failed' });
      await transition('failed', `${phase.name}: the council's winner could not be checked on the branch: ${check.message}`);
      return { reason: `the council's winner (${outcome.winner.model}) could not be checked on the branch: ${check.message}` };
    }
    await progress.recordCouncilOutcome({ sessionId: outcome.sessionId, outcome: check.passed ? 'success' : 'failed' });
    if (!check.passed) {
      await transition('failed', `${phase.name}: the council's winner fails on the branch: ${check.reason}`);
      return { reason: `the council's winner (${outcome.winner.model}) fails on the branch: ${check.reason}` };
    }
    await audit([{ actor: 'council', kind: 'council.success', message: `Tests passing — council successful (${check.reason})`, data: { phase: phase.name, model: outcome.winner.model, sha: outcome.winner.sha, costUsd: outcome.costUsd } }]);
    await recordPass(phase, failedAttempts + 1, outcome.winner.sha, check, outcome.winner.criteria);
    return { sha: outcome.winner.sha };
  }

  /** A model that can be called and has not tried this phase: what "retry with another model" offers. */
  function untriedModel(tried: ReadonlySet<string>): string | undefined {
    const routing = input.models.routing;
    const callable = lastAvailability.available.filter((model) => !lastAvailability.openCircuits[input.models.registry[model]!.provider]);
    const council = new Set(state.council?.members ?? []);
    return [...routing.tactical.strong, ...routing.strategic, ...routing.strongest, ...routing.tactical.cheap].find((model) => callable.includes(model) && !tried.has(model) && !council.has(model));
  }

  /** The complete phase: the approval gate by risk, then the merge (rebasing and re-verifying if the base moved). */
  async function completePhase(phase: PhaseDefinition, forced: boolean): Promise<PhaseEnd> {
    state.phase = phase.name;
    state.attempt = 1;
    if (state.status !== 'ready_for_review') await transition('ready_for_review', forced ? 'forced to complete' : 'every check passed; ready to merge');
    if (!forced && spec.risk !== 'low') {
      const answer = await gate('merge');
      if (answer === 'cancelled') return { next: 'cancelled' };
      if (answer !== 'approved') return { next: 'goto', phase: answer.phase, reviewerComment: answer.reviewerComment };
    }
    /** An override that ends the merge: cancel, or a reset back to a phase. */
    const ended = (answer: Interrupt): PhaseEnd | undefined => {
      if (answer.kind === 'cancel') {
        interrupt = answer;
        return { next: 'cancelled' };
      }
      if (answer.kind === 'reset') return { next: 'goto', phase: answer.phase, reviewerComment: `reset by ${answer.actor}: ${answer.reason}` };
      return undefined;
    };

    let expectedBase = state.shas.base!;
    for (let round = 1; round <= 3; round++) {
      await waitWhilePaused();
      if (pendingInterrupt()) {
        const end = ended(takeInterrupt());
        if (end) return end;
      }
      const merging = await mustSucceed(
        `merging into ${project.baseBranch}`,
        phase.name,
        () =>
          workspace.mergeBranch({
            repoPath: project.repoPath,
            baseBranch: project.baseBranch,
            branch: state.branch!,
            expectedBaseSha: expectedBase,
            message: `Merge ${state.branch}: ${spec.key} ${spec.title}`,
          }),
        ['retry', 'reset', 'cancel'],
      );
      if ('answer' in merging) {
        const end = ended(merging.answer);
        if (end) return end;
        continue;
      }
      const merge = merging.ok;
      if (merge.status === 'merged') {
        state.shas.merge = merge.mergeSha;
        state.checklist = markPhase(state.checklist, phase.name, true);
        state.progress = checklistProgress(state.checklist);
        await transition('completed', `merged into ${project.baseBranch} as ${short(merge.mergeSha)}`, {
          completed: true,
          events: [
            {
              actor: 'orchestrator',
              kind: 'subtask.completed',
              message: `${spec.key} merged; red-before-green proof: ${state.redEvidence ? state.redEvidence.newFailingTests.join('; ') || state.redEvidence.reason : 'none (red was skipped)'}`,
              data: { mergeSha: merge.mergeSha, shas: state.shas, redEvidence: state.redEvidence, skipped: state.skipped, progress: state.progress },
            },
          ],
        });
        await unblockDependents();
        return { next: 'advance' };
      }

      // The base branch moved: rebase onto it and verify again before merging.
      const rebasing = await mustSucceed(`rebasing onto ${project.baseBranch}`, phase.name, () => workspace.rebaseBranch({ worktree: state.worktree!, baseBranch: project.baseBranch }), [
        'retry',
        'reset',
        'cancel',
      ]);
      if ('answer' in rebasing) {
        const end = ended(rebasing.answer);
        if (end) return end;
        continue;
      }
      const rebase = rebasing.ok;
      if (rebase.status === 'conflicts') {
        const answer = await waitForHuman(
          phase.name,
          { reason: `${project.baseBranch} moved and the branch conflicts with it in ${rebase.files.join(', ')}`, options: ['retry', 'reset', 'cancel'], conflicts: rebase.files },
          1,
        );
        const end = ended(answer);
        if (end) return end;
        await transition('ready_for_review', `trying the merge again after ${answer.actor} looked at the conflict`);
        continue;
      }
      await transition('testing', `${project.baseBranch} moved to ${short(rebase.baseSha)}: rebased and verifying again`);
      const verifying = await mustSucceed('verifying the rebased branch', phase.name, () =>
        runner.runCheck({
          workflowId: info.workflowId,
          subtaskId: input.subtaskId,
          projectId: project.id,
          phase: 'verify',
          attempt: round,
          purpose: 'rebase',
          kind: 'suite_passes',
          suite: 'unit',
          worktree: state.worktree!,
          sha: rebase.headSha,
          suites: project.suites,
          baselineFile: state.baseline!.file,
        }),
        ['retry', 'reset', 'cancel'],
      );
      if ('answer' in verifying) {
        const end = ended(verifying.answer);
        if (end) return end;
        continue;
      }
      if (!verifying.ok.passed) {
        const answer = await waitForHuman(phase.name, { reason: `after rebasing onto ${project.baseBranch}: ${verifying.ok.reason}`, options: ['reset', 'retry', 'cancel'] }, 1);
        const end = ended(answer);
        if (end) return end;
        // Retry: rebase and verify again (someone may have fixed the base meanwhile).
        await transition('ready_for_review', `verifying again after ${answer.actor} asked for it`);
        continue;
      }
      expectedBase = rebase.baseSha;
      state.shas.base = rebase.baseSha;
      await transition('ready_for_review', 're-verified on the moved base; merging');
    }
    const answer = await waitForHuman(phase.name, { reason: `${project.baseBranch} kept moving during three merge attempts`, options: ['retry', 'reset', 'cancel'] }, 1);
    const end = ended(answer);
    if (end) return end;
    await transition('ready_for_review', `trying the merge again (${answer.actor})`);
    return completePhase(phase, true);
  }

  /** Opens an approval and waits for the decision, a cancel, a forced completion or a reset. */
  async function gate(kind: 'plan' | 'merge'): Promise<'approved' | 'cancelled' | { phase: PhaseName; reviewerComment: string }> {
    const approvalId = uuid4();
    decision = undefined;
    state.pendingGate = { gate: kind, approvalId, since: new Date(Date.now()).toISOString() };
    await progress.openApproval({ id: approvalId, subtaskId: input.subtaskId, gate: kind });
    await audit([{ actor: 'orchestrator', kind: 'approval.requested', message: `waiting for approval of the ${kind} (risk ${spec.risk})`, data: { approvalId, gate: kind } }]);
    await condition(() => pendingDecision() !== undefined || pendingInterrupt() !== undefined);
    state.pendingGate = undefined;
    const answer = pendingDecision();
    if (!answer) {
      const override = takeInterrupt();
      await progress.decideApproval({ id: approvalId, status: 'withdrawn', decidedBy: override.actor, at: Date.now() });
      switch (override.kind) {
        case 'force_complete':
          return 'approved';
        case 'reset':
          if (state.status === 'ready_for_review') await transition('in_progress', `reset to ${override.phase} by ${override.actor}`);
          return { phase: override.phase, reviewerComment: `reset by ${override.actor}: ${override.reason}` };
        default:
          interrupt = override;
          return 'cancelled';
      }
    }
    decision = undefined;
    await progress.decideApproval({
      id: approvalId,
      status: answer.approved ? 'approved' : 'rejected',
      decidedBy: answer.actor,
      comment: answer.comment,
      returnToPhase: answer.approved ? undefined : answer.returnTo,
      at: Date.now(),
    });
    await audit([
      {
        actor: answer.actor,
        kind: answer.approved ? 'approval.approved' : 'approval.rejected',
        message: answer.approved ? `${kind} approved${answer.comment ? `: ${answer.comment}` : ''}` : `${kind} rejected, back to ${answer.returnTo}: ${answer.comment}`,
        data: { approvalId, gate: kind },
      },
    ]);
    if (answer.approved) return 'approved';
    if (state.status === 'ready_for_review') await transition('in_progress', `sent back to ${answer.returnTo} by ${answer.actor}`);
    return { phase: answer.returnTo, reviewerComment: answer.comment };
  }

  /**
   * Waits until every dependency is completed: woken by their signal, and rechecked now and then in
   * case a signal was missed. A cancelled dependency blocks: a person starts anyway (retry) or cancels.
   */
  async function waitForDependencies(): Promise<'ready' | 'cancelled'> {
    for (;;) {
      const status = await progress.dependencyStatus({ projectId: project.id, keys: spec.dependencies });
      if (status.cancelled.length > 0) {
        const answer = await waitForHuman('waiting', { reason: `the dependencies ${status.cancelled.join(', ')} were cancelled: start anyway, or cancel`, options: ['retry', 'cancel'] }, 1);
        if (answer.kind === 'cancel') {
          interrupt = answer;
          return 'cancelled';
        }
        return 'ready';
      }
      if (status.pending.length === 0) {
        state.waitingFor = undefined;
        return 'ready';
      }
      const announce = state.waitingFor === undefined;
      waitingFor.clear();
      for (const key of status.pending) waitingFor.add(key);
      state.waitingFor = [...waitingFor];
      if (announce) await audit([{ actor: 'orchestrator', kind: 'subtask.waiting', message: `waiting for ${status.pending.join(', ')} to complete` }]);
      await condition(() => waitingFor.size === 0 || pendingInterrupt()?.kind === 'cancel', DEPENDENCY_RECHECK);
      if (pendingInterrupt()?.kind === 'cancel') return 'cancelled';
    }
  }

  async function unblockDependents() {
    const dependents = await progress.dependentWorkflows({ projectId: project.id, key: spec.key });
    for (const workflowId of dependents) {
      await getExternalWorkflowHandle(workflowId)
        .signal(dependencyCompletedSignal, { key: spec.key })
        .catch((error: unknown) => log.warn('could not signal a dependent subtask', { workflowId, error: String(error) }));
    }
    if (dependents.length > 0) await audit([{ actor: 'orchestrator', kind: 'subtask.dependents_unblocked', message: `unblocked ${dependents.join(', ')}` }]);
  }

  async function finishCancelled(): Promise<SubtaskOutcome> {
    const current = pendingInterrupt();
    const cancel = current?.kind === 'cancel' ? current : undefined;
    if (!isFinal(state.status)) {
      state.status = 'cancelled';
      upsertSearchAttributes([{ key: statusKey, value: 'cancelled' }]);
      await audit(
        [
          {
            actor: cancel?.actor ?? 'system',
            kind: 'subtask.cancelled',
            message: `cancelled${cancel ? `: ${cancel.reason}` : ''}; the branch ${state.branch ?? '(none yet)'} is left for inspection`,
            data: { branch: state.branch, worktree: state.worktree, shas: state.shas },
          },
        ],
        { status: 'cancelled', completed: true },
      );
    }
    return done({ status: 'cancelled', shas: state.shas, redEvidence: state.redEvidence });
  }
}

const OPTION_LABELS: Record<BlockOption, string> = {
  raise_budget: "Raise the project's budget (project.setBudget)",
  retry_with_model: 'Retry with another model',
  retry: 'Retry the phase (with a hint)',
  skip: 'Skip the phase',
  reset: 'Reset to an earlier phase',
  cancel: 'Cancel the subtask',
  force_complete: 'Force complete',
  reassign: 'Reassign the role',
  pause: 'Pause',
  resume: 'Resume',
};

function workPhases(phases: readonly PhaseDefinition[]): PhaseName[] {
  return phases.filter((phase) => phase.check !== 'merge').map((phase) => phase.name);
}

function nothingPending(state: SubtaskState): string {
  return `nothing waits for approval: the subtask is ${state.status}${state.phase ? ` in ${state.phase}` : ''}`;
}

/** Why an override cannot be applied now, in words for the person who asked. */
function overrideProblem(override: OverrideInput, state: SubtaskState, phases: readonly PhaseDefinition[], pending: Interrupt | undefined): string | undefined {
  const action = override.action;
  if (isFinal(state.status)) return `the subtask is ${state.status}; nothing can be changed any more`;
  if (INTERRUPTING.includes(action)) {
    if (pending?.kind === 'cancel') return 'the subtask is being cancelled';
    if (pending && action !== 'cancel') return `an earlier ${pending.kind.replace('_', ' ')} is still being applied: try again in a moment`;
    const offered = (state.blocked?.options ?? []) as string[];
    const answers = action === 'retry' ? offered.includes('retry') || offered.includes('retry_with_model') : offered.includes(action);
    if (state.blocked && action !== 'cancel' && action !== 'force_complete' && !answers) {
      return `the subtask is blocked (${state.blocked.reason}): answer with ${state.blocked.options.join(', ')}`;
    }
  }
  switch (action) {
    case 'pause':
      return state.paused ? 'the subtask is paused already' : undefined;
    case 'resume':
      return state.paused ? undefined : 'the subtask is not paused';
    case 'retry':
      return state.status === 'blocked' ? undefined : `retry answers a blocked subtask; this one is ${state.status}`;
    case 'force_complete':
      return state.baseline ? undefined : 'the subtask is still preparing its workspace: cancel it, or force it once its phases run';
    case 'skip':
      if (!state.phase) return 'no phase is running yet';
      return state.phase === 'complete' ? 'the complete phase cannot be skipped: use force_complete or cancel' : undefined;
    case 'reset': {
      const target = override.phase;
      const targetIndex = phases.findIndex((phase) => phase.name === target);
      const currentIndex = phases.findIndex((phase) => phase.name === state.phase);
      if (targetIndex < 0) return `${target} is not a phase of this subtask`;
      if (phases[targetIndex]!.check === 'merge') return 'reset to a work phase, not to complete';
      if (currentIndex < 0 || !state.baseline) return 'no phase has started yet';
      if (targetIndex > currentIndex) return `reset goes back, not forward: the subtask is in ${state.phase}`;
      return undefined;
    }
    default:
      return undefined;
  }
}

const MAX_PROVIDER_TROUBLE = 3;
const UNSERVED_LOOKS = 6;
const UNSERVED_LOOK_INTERVAL = '10 seconds';

/** The type of the application failure behind a failed activity. */
function failureType(error: unknown): string | undefined {
  return error instanceof ActivityFailure && error.cause instanceof ApplicationFailure ? (error.cause.type ?? undefined) : undefined;
}

/** What went wrong in a failed activity, in one line. */
function agentFailureMessage(error: unknown): string {
  if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure) return error.cause.message;
  if (error instanceof ActivityFailure) return `the agent's run failed: ${error.cause?.message ?? error.message}`;
  throw error;
}

function short(sha: string): string {
  return sha.slice(0, 8);
}
