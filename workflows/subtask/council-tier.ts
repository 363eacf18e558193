import { CancellationScope, executeChild, isCancellation } from '@temporalio/workflow';
import { callableModels, councilMembers, councilPreferences, problemTypeOf } from '../../domain/escalation.js';
import { formatUsd, parseUsd } from '../../domain/money.js';
import { TASK_QUEUES } from '../../domain/queues.js';
import { checkInput } from '../check-input.js';
import { councilWorkflow } from '../council.js';
import type { CouncilOutcome } from '../council.shared.js';
import { failureMessage } from '../failure-message.js';
import { type PhaseAttempts, recordPass } from './attempts.js';
import type { Interrupt } from './interrupts.js';
import { routeAttempt } from './routing.js';

/**
 * Tier 3: the council, a child workflow. Its winner, applied to the branch, is checked here like any
 * attempt ("Tests passing — council successful"); no council (its daily budget spent, fewer than two
 * models to ask) or no winner sends the ladder on to a person, with the reason.
 */
export async function convene(
  work: PhaseAttempts,
): Promise<{ sha: string } | { reason: string } | { answer: Interrupt }> {
  const { run, phase, role, startSha, guidance } = work;
  const { state, input, project, interrupts } = run;
  const failure = work.failure!;
  const failedAttempts = work.failures.length;
  const settings = run.ladder.council;
  const problemType = problemTypeOf(phase.name, failure);
  const routed = await routeAttempt(run, phase.name, 'strategic');
  if ('answer' in routed) return routed;
  const strategic = 'unavailable' in routed ? undefined : routed.choice.id;
  const context = await run.progress.councilContext({ problemType });
  if (context.exhausted) {
    const reason = `no council: the councils' daily budget is spent (${formatUsd(parseUsd(context.spentTodayUsd))} of ${formatUsd(parseUsd(context.dailyUsd))} today)`;
    await run.audit.record([
      { actor: 'orchestrator', kind: 'council.skipped', message: `${phase.name}: ${reason}`, data: { ...context } },
    ]);
    return { reason };
  }
  const callable = callableModels(input.models, routed.availability);
  const members = councilMembers(
    settings.members,
    councilPreferences(input.models.routing),
    (model) => input.models.registry[model]?.provider,
    callable,
    settings.size,
  );
  if (members.length < 2) {
    const reason = `no council: it needs two models that can be called, and ${members.length === 0 ? 'none can' : `only ${members[0]} can`}`;
    await run.audit.record([{ actor: 'orchestrator', kind: 'council.skipped', message: `${phase.name}: ${reason}` }]);
    return { reason };
  }
  const judge =
    settings.strategy === 'best_reasoning'
      ? (settings.judge.find((model) => callable.includes(model)) ?? strategic)
      : undefined;
  run.councils += 1;
  const round = run.councils;
  const workflowId = `council-${run.workflowId}-${phase.name}-${round}`;
  state.council = { workflowId, members, status: 'running' };
  await run.audit.record([
    {
      actor: 'orchestrator',
      kind: 'escalation.council',
      message: `Escalating ${phase.name} to the AI council (tier 3): ${members.join(', ')}`,
      data: { phase: phase.name, workflowId, members, problemType },
    },
  ]);
  const outcome = await interrupts.run(() =>
    executeChild(councilWorkflow, {
      workflowId,
      taskQueue: TASK_QUEUES.workflows,
      // A bound on a council that never ends (its members and checks have their own, shorter ones).
      workflowExecutionTimeout: 3 * settings.memberTimeoutMs + 3 * input.settings.checkTimeoutMs + 15 * 60_000,
      args: [
        {
          subtaskWorkflowId: run.workflowId,
          subtaskId: input.subtaskId,
          projectId: project.id,
          project: {
            name: project.name,
            repoPath: project.repoPath,
            suites: project.suites,
            installCommand: project.installCommand,
          },
          round,
          spec: run.spec,
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
          members: members.map((member) => run.choiceOf(member)),
          judge: judge ? run.choiceOf(judge) : undefined,
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
      if (
        isCancellation(error) &&
        (interrupts.pending() !== undefined || CancellationScope.current().consideredCancelled)
      )
        throw error;
      return new Error(failureMessage(error));
    }),
  );
  if (outcome === undefined) return { answer: interrupts.take() };
  if (outcome instanceof Error) {
    state.council = { workflowId, members, status: 'failed', reason: outcome.message };
    await run.progress.abandonCouncil({ workflowId, reason: `the council failed: ${outcome.message}`, at: Date.now() });
    await run.audit.record([
      {
        actor: 'orchestrator',
        kind: 'council.failed',
        message: `the council itself failed: ${outcome.message}`,
        data: { workflowId },
      },
    ]);
    return { reason: `the council itself failed (${outcome.message})` };
  }
  state.council = {
    workflowId,
    members,
    status: outcome.winner ? 'decided' : 'failed',
    winner: outcome.winner?.model,
    reason: outcome.reason,
  };
  if (!outcome.winner)
    return { reason: `the council (${members.join(', ')}) found no candidate that passes: ${outcome.reason}` };
  return checkWinner(work, outcome, outcome.winner, round);
}

/** The council's winner, on the branch now, checked like any attempt; its outcome recorded for the win rates. */
async function checkWinner(
  work: PhaseAttempts,
  outcome: CouncilOutcome,
  winner: NonNullable<CouncilOutcome['winner']>,
  round: number,
): Promise<{ sha: string } | { reason: string } | { answer: Interrupt }> {
  const { run, phase } = work;
  const { state, interrupts } = run;
  await run.transition('testing', `${phase.name}: ${winner.model}'s candidate is on the branch; the runner checks it`);
  const check = await interrupts.run(() =>
    run.runner
      .runCheck(
        checkInput(run.checked(), phase, {
          attempt: 1_000 * round,
          purpose: 'council_winner',
          worktree: state.worktree!,
          sha: winner.sha,
        }),
      )
      .catch((error: unknown) => {
        if (isCancellation(error)) throw error;
        return new Error(failureMessage(error));
      }),
  );
  if (check === undefined) return { answer: interrupts.take() };
  if (check instanceof Error) {
    await run.progress.recordCouncilOutcome({ sessionId: outcome.sessionId, outcome: 'failed' });
    await run.transition(
      'failed',
      `${phase.name}: the council's winner could not be checked on the branch: ${check.message}`,
    );
    return { reason: `the council's winner (${winner.model}) could not be checked on the branch: ${check.message}` };
  }
  await run.progress.recordCouncilOutcome({
    sessionId: outcome.sessionId,
    outcome: check.passed ? 'success' : 'failed',
  });
  if (!check.passed) {
    await run.transition('failed', `${phase.name}: the council's winner fails on the branch: ${check.reason}`);
    return { reason: `the council's winner (${winner.model}) fails on the branch: ${check.reason}` };
  }
  await run.audit.record([
    {
      actor: 'council',
      kind: 'council.success',
      message: `Tests passing — council successful (${check.reason})`,
      data: { phase: phase.name, model: winner.model, sha: winner.sha, costUsd: outcome.costUsd },
    },
  ]);
  await recordPass(run, phase, work.failures.length + 1, winner.sha, check, winner.criteria);
  return { sha: winner.sha };
}
