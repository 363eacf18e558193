import { defineSearchAttributeKey } from '@temporalio/common';
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { AgentActivities, AgentPhaseResult } from '../activities/subtask/agent-phase.js';
import type { CheckActivities, CheckResult } from '../activities/subtask/checks.js';
import type { ProgressActivities } from '../activities/subtask/progress.js';
import type { WorkspaceActivities } from '../activities/subtask/workspace.js';
import type { AuditEvent } from '../activities/store/progress.js';
import { buildChecklist, checklistProgress, markCriterion, markPhase } from '../domain/checklist.js';
import { type SubtaskStatus, assertTransition, isFinal } from '../domain/lifecycle.js';
import type { PhaseDefinition, PhaseName } from '../domain/phases.js';
import { TASK_QUEUES } from '../domain/queues.js';
import {
  ApproveInput,
  type BlockedState,
  type FailureSummary,
  type OverrideAction,
  OverrideInput,
  RejectInput,
  type SubtaskOutcome,
  type SubtaskState,
  type SubtaskWorkflowInput,
  approveUpdate,
  dependencyCompletedSignal,
  describeIssues,
  missingActor,
  overrideUpdate,
  rejectUpdate,
  stateQuery,
} from './subtask.shared.js';

const statusKey = defineSearchAttributeKey('MaestroStatus', 'KEYWORD');
const phaseKey = defineSearchAttributeKey('MaestroPhase', 'KEYWORD');

/** What stops the running step: an override, a rejection, or the end of a block. */
type Interrupt =
  | { kind: 'cancel'; actor: string; reason: string }
  | { kind: 'skip'; actor: string; reason: string }
  | { kind: 'reset'; actor: string; reason: string; phase: PhaseName }
  | { kind: 'force_complete'; actor: string; reason: string }
  | { kind: 'retry'; actor: string; hint?: string };

type Decision = { approved: true; actor: string; comment?: string } | { approved: false; actor: string; comment: string; returnTo: PhaseName };

/** How a phase ended, for the main loop. */
type PhaseEnd = { next: 'advance' } | { next: 'goto'; phase: PhaseName; reviewerComment?: string } | { next: 'complete_now' } | { next: 'cancelled' };

const DEPENDENCY_RECHECK = '5 minutes';

/**
 * One subtask, from "start" to "merged": workspace, baseline, the TDD phases with their checks and
 * retries, the approval gates by risk, the merge. Every step is durable; every transition, handoff
 * and override is written to the audit log.
 */
export async function subtaskWorkflow(input: SubtaskWorkflowInput): Promise<SubtaskOutcome> {
  const { spec, project, phases, settings } = input;
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
  };
  state.progress = checklistProgress(state.checklist);

  const progress = proxyLocalActivities<ProgressActivities>({ startToCloseTimeout: '30 seconds', retry: { maximumInterval: '10 seconds' } });
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
  const agentOn = (taskQueue: string) =>
    proxyActivities<AgentActivities>({
      taskQueue,
      startToCloseTimeout: settings.agentTimeoutMs,
      heartbeatTimeout: settings.heartbeatTimeoutMs,
      retry: { maximumAttempts: 3, nonRetryableErrorTypes: ['AgentFailure'] },
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    });

  // --- the audit log ------------------------------------------------------------------------------

  let sequence = 0;
  const audit = async (events: AuditEvent[], update?: Parameters<ProgressActivities['recordProgress']>[0]['update']) => {
    sequence += 1;
    await progress.recordProgress({
      subtaskId: input.subtaskId,
      projectId: project.id,
      workflowId: info.workflowId,
      key: `${info.workflowId}/${info.runId}/${sequence}`,
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

  const interruptWith = (next: Interrupt) => {
    interrupt = next;
    currentStep?.cancel();
  };

  setHandler(stateQuery, () => state);

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
      },
    },
  );

  setHandler(
    overrideUpdate,
    async (override) => {
      // Written before it takes effect: the update answers only once the audit log has it.
      await audit([
        {
          actor: override.actor!,
          kind: `override.${override.action}`,
          message: `${override.action.replace('_', ' ')}${'phase' in override ? ` to ${override.phase}` : ''}${override.reason ? `: ${override.reason}` : ''}`,
          data: { ...override, phase: 'phase' in override ? override.phase : state.phase, status: state.status },
        },
      ]);
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
          interruptWith({ kind: 'skip', actor: override.actor!, reason: override.reason });
          break;
        case 'reset':
          interruptWith({ kind: 'reset', actor: override.actor!, reason: override.reason, phase: override.phase });
          break;
        case 'force_complete':
          interruptWith({ kind: 'force_complete', actor: override.actor!, reason: override.reason });
          break;
        case 'cancel':
          interruptWith({ kind: 'cancel', actor: override.actor!, reason: override.reason });
          break;
        case 'retry':
          interruptWith({ kind: 'retry', actor: override.actor!, hint: override.hint });
          break;
      }
      return state;
    },
    {
      validator: (override) => {
        const parsed = OverrideInput.safeParse(override);
        if (!parsed.success) throw ApplicationFailure.nonRetryable(describeIssues(parsed.error), 'InvalidInput');
        const noActor = missingActor(override);
        if (noActor) throw ApplicationFailure.nonRetryable(noActor, 'InvalidInput');
        const problem = overrideProblem(override.action, override, state, phases);
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

  /** Waits for a person to answer a block with retry, skip, reset, force complete or cancel. */
  async function waitForHuman(phase: PhaseName, block: Omit<BlockedState, 'since' | 'escalationId'>, tier: number): Promise<Interrupt> {
    const escalationId = uuid4();
    state.blocked = { ...block, since: new Date(Date.now()).toISOString(), escalationId };
    await progress.openEscalation({
      id: escalationId,
      subtaskId: input.subtaskId,
      phase,
      tier,
      reason: block.reason,
      options: block.options.map((option) => ({ id: option, label: OPTION_LABELS[option] })),
      recommendedOption: block.options[0]!,
    });
    await transition('blocked', `blocked in ${phase}: ${block.reason}`, { data: { escalationId, options: block.options } });
    await condition(() => pendingInterrupt() !== undefined);
    const answer = pendingInterrupt()!;
    interrupt = undefined;
    state.blocked = undefined;
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

  const phaseIndex = (name: PhaseName) => phases.findIndex((phase) => phase.name === name);

  // --- the subtask --------------------------------------------------------------------------------

  try {
    await audit([{ actor: input.startedBy, kind: 'subtask.started', message: `subtask ${spec.key} started: ${spec.title}`, data: { risk: spec.risk } }]);

    if (spec.dependencies.length > 0) {
      for (const key of await progress.pendingDependencies({ projectId: project.id, keys: spec.dependencies })) waitingFor.add(key);
      if (waitingFor.size > 0) await audit([{ actor: 'orchestrator', kind: 'subtask.waiting', message: `waiting for ${[...waitingFor].join(', ')} to complete` }]);
      while (waitingFor.size > 0 && !pendingInterrupt()) {
        state.waitingFor = [...waitingFor];
        if (await condition(() => waitingFor.size === 0 || pendingInterrupt() !== undefined, DEPENDENCY_RECHECK)) break;
        for (const key of [...waitingFor]) waitingFor.delete(key);
        for (const key of await progress.pendingDependencies({ projectId: project.id, keys: spec.dependencies })) waitingFor.add(key);
      }
      state.waitingFor = undefined;
    }

    let startAt = 0;
    let pendingReviewerComment: string | undefined;
    if (spec.risk === 'high' && !pendingInterrupt()) {
      const planDecision = await gate('plan');
      if (planDecision === 'cancelled') return await finishCancelled();
      if (planDecision !== 'approved') {
        // A rejected plan returns, like any rejection, to the phase the reviewer names.
        pendingReviewerComment = planDecision.reviewerComment;
        startAt = phaseIndex(planDecision.phase);
      }
    }
    if (pendingInterrupt()?.kind === 'cancel') return await finishCancelled();

    state.phase = null;
    const prepared = await workspace.prepareWorkspace({
      project: project.name,
      repoPath: project.repoPath,
      baseBranch: project.baseBranch,
      key: spec.key,
      title: spec.title,
    });
    state.branch = prepared.branch;
    state.worktree = prepared.worktree;
    state.shas.base = prepared.baseSha;
    let head = prepared.baseSha;
    await transition('in_progress', `worktree ready on ${prepared.branch} from ${project.baseBranch} (${short(prepared.baseSha)})`, {
      started: true,
      data: { branch: prepared.branch, baseSha: prepared.baseSha },
    });

    const baseline = await interruptible(() =>
      runner.runBaseline({
        workflowId: info.workflowId,
        subtaskId: input.subtaskId,
        projectId: project.id,
        worktree: prepared.worktree,
        installCommand: project.installCommand,
        suites: project.suites,
      }),
    );
    // Only a cancel can cut the baseline short (a phase cannot be skipped before the phases).
    if (!baseline) return await finishCancelled();
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
        interrupt = undefined;
        const end = await completePhase(completeDefinition, forced);
        if (end.next === 'cancelled') return await finishCancelled();
        if (end.next === 'goto') {
          index = goBackTo(end.phase);
          reviewerComment = end.reviewerComment;
          continue;
        }
        return { status: 'completed', shas: state.shas, redEvidence: state.redEvidence };
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
      if (end.outcome === 'complete_now') interrupt = { kind: 'force_complete', actor: end.actor, reason: end.reason };
    }
    return { status: 'completed', shas: state.shas, redEvidence: state.redEvidence };
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
  async function runPhase(phase: PhaseDefinition, startSha: string, guidance: { reviewerComment?: string }): Promise<RunEnd> {
    state.phase = phase.name;
    state.lastFailure = undefined;
    let failure: FailureSummary | undefined;
    let hint: string | undefined;
    const role = phase.role === 'orchestrator' ? 'developer' : phase.role;

    let attempt = 0;
    for (;;) {
      attempt += 1;
      state.attempt = attempt;
      await waitWhilePaused();
      if (pendingInterrupt()) {
        const end = await applyInterrupt(takeInterrupt(), phase.name);
        if (end !== 'retry') return end;
        attempt = 0;
        continue;
      }
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
          message: `${phase.name} attempt ${attempt} handed to the ${phase.role} on ${queue}`,
          data: { phase: phase.name, attempt, role: phase.role, taskQueue: queue, startSha },
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
            context: {
              failure: failure && { reason: failure.reason, failingTests: failure.failingTests, outputTail: failure.outputTail },
              previousSha: failure?.sha,
              reviewerComment: guidance.reviewerComment,
              hint,
            },
          }),
        );
      } catch (error) {
        agentFailure = agentFailureMessage(error);
      }

      let check: CheckResult | undefined;
      if (agent) {
        await transition('testing', `${phase.name}: the ${phase.role} committed ${short(agent.sha)}; the runner checks it`, {
          events: [
            {
              actor: phase.role,
              kind: 'phase.commit',
              message: `${phase.role} finished ${phase.name}: ${agent.summary}`,
              data: { sha: agent.sha, files: agent.filesWritten, steps: agent.steps, attempt },
            },
          ],
        });
        check = await interruptible(() =>
          runner.runCheck({
            workflowId: info.workflowId,
            subtaskId: input.subtaskId,
            projectId: project.id,
            phase: phase.name,
            attempt,
            kind: phase.check === 'new_tests_fail' ? 'new_tests_fail' : 'suite_passes',
            suite: phase.suite,
            worktree: state.worktree!,
            sha: agent!.sha,
            suites: project.suites,
            baselineFile: state.baseline!.file,
          }),
        );
      }

      if (pendingInterrupt()) {
        const end = await applyInterrupt(takeInterrupt(), phase.name);
        if (end !== 'retry') return end;
        attempt = 0;
        continue;
      }

      if (agent && check?.passed) {
        state.shas[phase.name] = agent.sha;
        state.checklist = markPhase(state.checklist, phase.name, true);
        for (const criterion of agent.criteria ?? []) state.checklist = markCriterion(state.checklist, criterion.index, criterion.met, criterion.note);
        state.progress = checklistProgress(state.checklist);
        if (phase.name === 'red') {
          state.redEvidence = { sha: agent.sha, logFiles: check.runs.map((run) => run.logFile), newFailingTests: check.newFailingTests, reason: check.reason };
        }
        await audit([
          {
            actor: 'runner',
            kind: phase.check === 'new_tests_fail' ? 'check.red_evidence' : 'check.passed',
            message: `${phase.name} check passed: ${check.reason}`,
            data: { phase: phase.name, attempt, sha: agent.sha, runs: check.runs, newFailingTests: check.newFailingTests, progress: state.progress },
          },
        ]);
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
      await transition('failed', `${phase.name} attempt ${attempt} failed: ${failure.reason}`, {
        data: { failingTests: failure.failingTests, logFiles: failure.logFiles, sha: failure.sha },
      });

      if (attempt >= settings.maxAttempts) {
        // The seam of the escalation ladder: strategic review and the council come before a person.
        const answer = await waitForHuman(
          phase.name,
          { reason: `${settings.maxAttempts} attempt(s) of ${phase.name} failed; last: ${failure.reason}`, options: ['retry', 'skip', 'reset', 'cancel'] },
          1,
        );
        const end = await applyInterrupt(answer, phase.name);
        if (end !== 'retry') return end;
        attempt = 0;
        continue;
      }
      const backoff = Math.min(settings.retryBackoffMs * 2 ** (attempt - 1), settings.retryBackoffMaxMs);
      await interruptible(() => sleep(backoff));
    }

    /** How an override ends the phase; `retry` starts its attempts again, with the person's hint. */
    async function applyInterrupt(answer: Interrupt, phaseName: PhaseName): Promise<RunEnd | 'retry'> {
      switch (answer.kind) {
        case 'cancel':
          interrupt = answer;
          return { outcome: 'cancelled' };
        case 'skip':
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
          return 'retry';
      }
    }
  }

  function takeInterrupt(): Interrupt {
    const current = pendingInterrupt()!;
    interrupt = undefined;
    return current;
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
    let expectedBase = state.shas.base!;
    for (let round = 1; round <= 3; round++) {
      const merge = await workspace.mergeBranch({
        repoPath: project.repoPath,
        baseBranch: project.baseBranch,
        branch: state.branch!,
        expectedBaseSha: expectedBase,
        message: `Merge ${state.branch}: ${spec.key} ${spec.title}`,
      });
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
      const rebase = await workspace.rebaseBranch({ worktree: state.worktree!, baseBranch: project.baseBranch });
      if (rebase.status === 'conflicts') {
        const answer = await waitForHuman(
          phase.name,
          { reason: `${project.baseBranch} moved and the branch conflicts with it in ${rebase.files.join(', ')}`, options: ['retry', 'cancel', 'reset'], conflicts: rebase.files },
          1,
        );
        if (answer.kind === 'cancel') {
          interrupt = answer;
          return { next: 'cancelled' };
        }
        if (answer.kind === 'reset') return { next: 'goto', phase: answer.phase };
        await transition('ready_for_review', `retrying the merge after a person resolved the conflict (${answer.actor})`);
        continue;
      }
      await transition('testing', `${project.baseBranch} moved to ${short(rebase.baseSha)}: rebased and verifying again`);
      const check = await runner.runCheck({
        workflowId: info.workflowId,
        subtaskId: input.subtaskId,
        projectId: project.id,
        phase: 'verify',
        attempt: 100 + round,
        kind: 'suite_passes',
        suite: 'unit',
        worktree: state.worktree!,
        sha: rebase.headSha,
        suites: project.suites,
        baselineFile: state.baseline!.file,
      });
      if (!check.passed) {
        const answer = await waitForHuman(
          phase.name,
          { reason: `after rebasing onto ${project.baseBranch}: ${check.reason}`, options: ['reset', 'retry', 'cancel'] },
          1,
        );
        if (answer.kind === 'cancel') {
          interrupt = answer;
          return { next: 'cancelled' };
        }
        if (answer.kind === 'reset') return { next: 'goto', phase: answer.phase };
      }
      expectedBase = rebase.baseSha;
      state.shas.base = rebase.baseSha;
      await transition('ready_for_review', 're-verified on the moved base; merging');
    }
    const answer = await waitForHuman(phase.name, { reason: `${project.baseBranch} kept moving during three merge attempts`, options: ['retry', 'cancel'] }, 1);
    if (answer.kind === 'cancel') {
      interrupt = answer;
      return { next: 'cancelled' };
    }
    return completePhase(phase, forced);
  }

  /** Opens an approval and waits for the decision (or a cancel). */
  async function gate(kind: 'plan' | 'merge'): Promise<'approved' | 'cancelled' | { phase: PhaseName; reviewerComment: string }> {
    const approvalId = uuid4();
    decision = undefined;
    state.pendingGate = { gate: kind, approvalId, since: new Date(Date.now()).toISOString() };
    await progress.openApproval({ id: approvalId, subtaskId: input.subtaskId, gate: kind });
    await audit([{ actor: 'orchestrator', kind: 'approval.requested', message: `waiting for approval of the ${kind} (risk ${spec.risk})`, data: { approvalId, gate: kind } }]);
    await condition(() => pendingDecision() !== undefined || pendingInterrupt()?.kind === 'cancel' || pendingInterrupt()?.kind === 'force_complete');
    state.pendingGate = undefined;
    const answer = pendingDecision();
    if (!answer) {
      await progress.decideApproval({ id: approvalId, status: 'withdrawn', decidedBy: pendingInterrupt()!.actor, at: Date.now() });
      if (pendingInterrupt()?.kind === 'force_complete') {
        interrupt = undefined;
        return 'approved';
      }
      return 'cancelled';
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
    return { status: 'cancelled', shas: state.shas, redEvidence: state.redEvidence };
  }
}

const OPTION_LABELS: Record<OverrideAction, string> = {
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
function overrideProblem(action: OverrideAction, override: OverrideInput, state: SubtaskState, phases: readonly PhaseDefinition[]): string | undefined {
  if (isFinal(state.status)) return `the subtask is ${state.status}; nothing can be changed any more`;
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
      const target = (override as { phase: PhaseName }).phase;
      const targetIndex = phases.findIndex((phase) => phase.name === target);
      const currentIndex = phases.findIndex((phase) => phase.name === state.phase);
      if (targetIndex < 0) return `${target} is not a phase of this subtask`;
      if (phases[targetIndex]!.check === 'merge') return 'reset to a work phase, not to complete';
      if (currentIndex < 0) return 'no phase has started yet';
      if (targetIndex > currentIndex) return `reset goes back, not forward: the subtask is in ${state.phase}`;
      return undefined;
    }
    default:
      return undefined;
  }
}

function agentFailureMessage(error: unknown): string {
  if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure) return error.cause.message;
  if (error instanceof ActivityFailure) return `the agent's run failed: ${error.cause?.message ?? error.message}`;
  throw error;
}

function short(sha: string): string {
  return sha.slice(0, 8);
}
