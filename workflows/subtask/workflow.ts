import {
  CancellationScope,
  CancelledFailure,
  condition,
  isCancellation,
  patched,
  workflowInfo,
} from '@temporalio/workflow';
import { checklistProgress, reopenFrom } from '../../domain/checklist.js';
import { isFinal } from '../../domain/lifecycle.js';
import type { PhaseName } from '../../domain/phases.js';
import { assessComplexity } from '../../domain/routing.js';
import type { SubtaskOutcome, SubtaskWorkflowInput } from './subtask.shared.js';
import { waitForDependencies } from './dependencies.js';
import { gate } from './gate.js';
import { registerHandlers } from './handlers.js';
import { completePhase } from './merge.js';
import { mustSucceed } from './person.js';
import { runPhase } from './phase.js';
import { SubtaskRun } from './run.js';
import { short } from './short.js';

/** The baseline's log line is the runner's sentence (which never prints unknown counts as 0). */
const BASELINE_SENTENCE = 'baseline-sentence-from-runner';

/**
 * One subtask, from "start" to "merged": workspace, baseline, the TDD phases with their checks and
 * retries, the approval gates by risk, the merge. Every step is durable; every transition, handoff
 * and override is written to the audit log.
 */
export async function subtaskWorkflow(input: SubtaskWorkflowInput): Promise<SubtaskOutcome> {
  const run = new SubtaskRun(input);
  registerHandlers(run);
  let outcome: SubtaskOutcome;
  try {
    outcome = await runSubtask(run);
  } catch (error) {
    if (!isCancellation(error)) throw error;
    // Temporal-level cancellation (from the Temporal UI or CLI) ends like the cancel override.
    outcome = await CancellationScope.nonCancellable(() => finishCancelled(run));
  }
  if (outcome.status === 'cancelled' && patched(ENDS_CANCELLED)) await endCancelled(run);
  return outcome;
}

/**
 * A cancelled subtask ends as a cancelled workflow (Temporal's status CANCELLED, not COMPLETED),
 * once its status and the audit entry are written. Before this patch it completed with the
 * cancelled outcome as its result.
 */
const ENDS_CANCELLED = 'cancelled-subtask-ends-cancelled';
/** How long the cancellation this run asked for may take to arrive before it completes as before. */
const CANCELLATION_ARRIVES_WITHIN = '10 minutes';

/**
 * Ends the workflow as cancelled. A workflow ends so only when Temporal was asked to cancel it: a
 * cancel override (or an escalation answered with cancel) asks for it, through an activity, since
 * a workflow cannot cancel itself, and waits for the request to arrive.
 */
async function endCancelled(run: SubtaskRun): Promise<void> {
  const message = `${run.workflowId} was cancelled: its branch is left for inspection`;
  if (CancellationScope.current().consideredCancelled) throw new CancelledFailure(message);
  await run.progress.requestCancellation({ workflowId: run.workflowId, runId: workflowInfo().runId });
  try {
    await condition(() => false, CANCELLATION_ARRIVES_WITHIN);
  } catch (error) {
    if (isCancellation(error)) throw new CancelledFailure(message);
    throw error;
  }
}

async function runSubtask(run: SubtaskRun): Promise<SubtaskOutcome> {
  const { state, spec, project, phases, interrupts } = run;
  const assessed = assessComplexity(spec, run.input.models.routing);
  state.routing = {
    complexity: assessed.score,
    level: assessed.level,
    hardStop: assessed.hardStop,
    reason: assessed.reason,
  };
  await run.audit.record(
    [
      {
        actor: run.input.startedBy,
        kind: 'subtask.started',
        message: `subtask ${spec.key} started: ${spec.title}`,
        data: { risk: spec.risk },
      },
      { actor: 'orchestrator', kind: 'routing.decided', message: `routing: ${assessed.reason}`, data: { ...assessed } },
    ],
    { complexity: assessed.score, routing: { ...state.routing } },
  );

  if (spec.dependencies.length > 0 && (await waitForDependencies(run)) === 'cancelled') return finishCancelled(run);

  let index = 0;
  let reviewerComment: string | undefined;
  if (spec.risk === 'high') {
    const planDecision = await gate(run, 'plan');
    if (planDecision === 'cancelled') return finishCancelled(run);
    if (planDecision !== 'approved') {
      // A rejected plan starts at the first phase, with the reviewer's comment.
      reviewerComment = planDecision.reviewerComment;
      index = run.phaseIndex(planDecision.phase);
    }
  }
  await run.waitWhilePaused();
  if (interrupts.pending()?.kind === 'cancel') return finishCancelled(run);

  const head = await prepare(run);
  if (head === undefined) return finishCancelled(run);

  const phaseStarts: Partial<Record<PhaseName, string>> = {};
  let at = head;
  /** Back to an earlier phase: its work and everything after it is to be done again. */
  const goBackTo = (target: PhaseName): number => {
    for (const later of phases.slice(run.phaseIndex(target))) delete state.shas[later.name];
    state.checklist = reopenFrom(state.checklist, phases, target);
    state.progress = checklistProgress(state.checklist);
    at = phaseStarts[target] ?? at;
    return run.phaseIndex(target);
  };

  const completeDefinition = phases.find((phase) => phase.check === 'merge')!;
  while (index < phases.length) {
    await run.waitWhilePaused();
    if (interrupts.pending()?.kind === 'cancel') return finishCancelled(run);
    const phase = phases[index]!;

    if (phase.check === 'merge' || interrupts.pending()?.kind === 'force_complete') {
      const forced = interrupts.pending()?.kind === 'force_complete';
      if (forced) interrupts.keep(undefined);
      const end = await completePhase(run, completeDefinition, forced);
      if (end.next === 'cancelled') return finishCancelled(run);
      if (end.next === 'goto') {
        index = goBackTo(end.phase);
        reviewerComment = end.reviewerComment;
        continue;
      }
      return run.done({ status: 'completed', shas: state.shas, redEvidence: state.redEvidence });
    }

    phaseStarts[phase.name] = at;
    const end = await runPhase(run, phase, at, reviewerComment);
    reviewerComment = undefined;
    if (end.outcome === 'cancelled') return finishCancelled(run);
    if (end.outcome === 'passed' || end.outcome === 'skipped') {
      at = end.sha ?? at;
      index += 1;
      continue;
    }
    if (end.outcome === 'reset') {
      index = goBackTo(end.phase);
      continue;
    }
    if (end.outcome === 'complete_now')
      interrupts.keep({ kind: 'force_complete', actor: end.actor, reason: end.reason, during: phase.name });
  }
  return run.done({ status: 'completed', shas: state.shas, redEvidence: state.redEvidence });
}

/**
 * The worktree and the baseline, each a step a person is asked about when it fails. Returns where
 * the branch starts, or undefined when the subtask was cancelled meanwhile (before the phases, only
 * a cancel can end a step: skip and reset need a phase, force a baseline).
 */
async function prepare(run: SubtaskRun): Promise<string | undefined> {
  const { state, project, spec } = run;
  state.phase = null;
  const setup = await mustSucceed(run, 'setting up the workspace', 'setup', () =>
    run.workspace.prepareWorkspace({
      project: project.name,
      repoPath: project.repoPath,
      baseBranch: project.baseBranch,
      key: spec.key,
      title: spec.title,
    }),
  );
  if ('answer' in setup) return undefined;
  const prepared = setup.ok;
  state.branch = prepared.branch;
  state.worktree = prepared.worktree;
  state.shas.base = prepared.baseSha;
  await run.transition(
    'in_progress',
    `worktree ready on ${prepared.branch} from ${project.baseBranch} (${short(prepared.baseSha)})`,
    {
      started: true,
      data: { branch: prepared.branch, baseSha: prepared.baseSha },
    },
  );

  const measured = await mustSucceed(run, 'the baseline (install and tests on the base branch)', 'setup', () =>
    run.runner.runBaseline({
      workflowId: run.workflowId,
      subtaskId: run.input.subtaskId,
      projectId: project.id,
      worktree: prepared.worktree,
      installCommand: project.installCommand,
      suites: project.suites,
    }),
  );
  if ('answer' in measured) return undefined;
  const baseline = measured.ok;
  state.baseline = { file: baseline.file, passing: baseline.passing, failing: baseline.failing };
  // The runner's sentence counts the tests by the report or the runner's summary, or says they were not counted.
  const counted =
    baseline.sentence !== undefined && patched(BASELINE_SENTENCE)
      ? baseline.sentence
      : `${baseline.passing} test(s) pass${baseline.failing > 0 ? `, ${baseline.failing} already fail (not this subtask's to fix)` : ''}`;
  await run.audit.record([
    {
      actor: 'runner',
      kind: 'check.baseline',
      message: `baseline on ${project.baseBranch}: ${counted}`,
      data: { runs: baseline.runs },
    },
  ]);
  return prepared.baseSha;
}

/** Ends cancelled (by the override, a person's answer or Temporal): once in the log, the branch left for inspection. */
async function finishCancelled(run: SubtaskRun): Promise<SubtaskOutcome> {
  const { state } = run;
  const current = run.interrupts.pending();
  const cancel = current?.kind === 'cancel' ? current : undefined;
  if (!isFinal(state.status)) {
    run.markCancelled();
    await run.audit.record(
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
  return run.done({ status: 'cancelled', shas: state.shas, redEvidence: state.redEvidence });
}
