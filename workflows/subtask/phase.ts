import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  isCancellation,
  patched,
  sleep,
} from '@temporalio/workflow';
import type { AgentPhaseResult } from '../../activities/subtask/agent-phase.js';
import type { CheckResult } from '../../activities/subtask/checks.js';
import { AGENT_FAILURE_TYPES } from '../../domain/agent-failure.js';
import type { AuditEvent } from '../../domain/audit.js';
import { attemptStatus, retryDelayMs } from '../../domain/attempts.js';
import { formatUsdExact, parseUsd } from '../../domain/money.js';
import type { PhaseDefinition } from '../../domain/phases.js';
import { checkInput } from '../check-input.js';
import { failureMessage } from '../failure-message.js';
import { type PhaseEnd, PhaseAttempts, recordPass } from './attempts.js';
import { climbLadder } from './ladder.js';
import { type Routed, routeAttempt } from './routing.js';
import type { SubtaskRun } from './run.js';
import { short } from './short.js';

/** A provider failing this many attempts in a row is the attempt's failure, not only a reason to route again. */
const MAX_PROVIDER_TROUBLE = 3;
/** "Attempt 3 of N" counts the attempts a strategic review added. */
const ATTEMPTS_OF_LIMIT = 'attempts-of-the-phase-limit';
/**
 * A check's pass is written with the next phase's model-context read, and a handoff with its
 * transition: two local activities in the hop from a check to the next agent instead of four.
 */
const BATCHED_PROGRESS_WRITES = 'batched-progress-writes';

/** An agent phase: attempts, each an agent run and a check, until the check passes or a person decides. */
export async function runPhase(
  run: SubtaskRun,
  phase: PhaseDefinition,
  startSha: string,
  reviewerComment: string | undefined,
): Promise<PhaseEnd> {
  const { state, interrupts } = run;
  state.phase = phase.name;
  state.lastFailure = undefined;
  const work = new PhaseAttempts(run, phase, startSha, reviewerComment);
  run.chosenModel = undefined;
  state.guidance = undefined;
  state.council = undefined;
  state.escalationTier = 1;
  for (;;) {
    work.attempt += 1;
    state.attempt = work.attempt;
    // The phase's limit, with the attempts a strategic review added (state only: what a query shows).
    state.maxAttempts = work.limit;
    await run.waitWhilePaused();
    if (interrupts.pending()) {
      await run.audit.flush();
      const end = await work.resolve(interrupts.take());
      if (end) return end;
      continue;
    }
    const routed = await routeAttempt(run, phase.name, { role: work.role, attempt: work.attempt });
    if ('answer' in routed) {
      const end = await work.resolve(routed.answer);
      if (end) return end;
      continue;
    }
    // Routing may have waited (a budget hold, an open circuit): a pause given meanwhile holds now.
    if (state.paused || interrupts.pending()) {
      work.attempt -= 1;
      continue;
    }
    state.model = { id: routed.choice.id, reason: routed.reason };
    work.triedModels.add(routed.choice.id);
    const queue = await handOff(work, routed);

    const agentRun = await runAgent(work, routed, queue);
    if (agentRun === 'route_again') {
      work.attempt -= 1;
      continue;
    }
    if ('end' in agentRun) {
      if (agentRun.end) return agentRun.end;
      continue;
    }
    work.providerTrouble = 0;
    const { agent } = agentRun;
    let { agentFailure } = agentRun;

    let check: CheckResult | undefined;
    if (agent) {
      const checked = await checkAgentCommit(work, routed, agent);
      check = checked.check;
      agentFailure = checked.failure ?? agentFailure;
    }

    if (interrupts.pending()) {
      const end = await work.resolve(interrupts.take());
      if (end) return end;
      continue;
    }

    if (agent && check?.passed) {
      await recordPass(run, phase, work.attempt, agent.sha, check, agent.criteria, patched(BATCHED_PROGRESS_WRITES));
      return { outcome: 'passed', sha: agent.sha };
    }

    const failure = {
      phase: phase.name,
      attempt: work.attempt,
      reason: agentFailure ?? check?.reason ?? 'the step did not finish',
      failingTests: check?.failingTests ?? [],
      outputTail: check?.outputTail ?? '',
      sha: agent?.sha,
      logFiles: check?.runs.map((run) => run.logFile) ?? [],
    };
    work.failure = failure;
    state.lastFailure = failure;
    work.failures.push(failure);
    await run.transition('failed', `${phase.name} attempt ${work.attempt} failed: ${failure.reason}`, {
      data: { failingTests: failure.failingTests, logFiles: failure.logFiles, sha: failure.sha },
    });

    if (work.attempt >= work.limit) {
      const climbed = await climbLadder(work);
      if (climbed) return climbed;
      continue;
    }
    await interrupts.run(() => sleep(retryDelayMs(work.attempt, run.settings)));
  }
}

/** The attempt starts: the status says so, and the log says who works on which queue with which model. Returns the queue. */
async function handOff(work: PhaseAttempts, routed: Routed): Promise<string> {
  const { run, phase, attempt } = work;
  const status = attemptStatus(run.state.status, work.failure !== undefined);
  const queue = run.state.queues[work.role];
  const handoff: AuditEvent[] = [
    {
      actor: 'orchestrator',
      kind: 'phase.handoff',
      message: `${phase.name} attempt ${attempt} handed to the ${phase.role} on ${queue}, with ${routed.choice.id} (${routed.reason})`,
      data: {
        phase: phase.name,
        attempt,
        role: phase.role,
        taskQueue: queue,
        startSha: work.startSha,
        model: routed.choice.id,
        modelReason: routed.reason,
      },
    },
  ];
  const batched = patched(BATCHED_PROGRESS_WRITES);
  const after = batched ? handoff : undefined;
  if (status === 'retrying')
    await run.transition(
      'retrying',
      `${phase.name}: attempt ${attempt} of ${patched(ATTEMPTS_OF_LIMIT) ? work.limit : run.settings.maxAttempts}, with the last failure in its prompt`,
      { after },
    );
  else if (status === 'in_progress')
    await run.transition('in_progress', `${phase.name}: the ${phase.role} starts`, { after });
  if (!batched || status === undefined) await run.audit.record(handoff);
  return queue;
}

type AgentRunEnd =
  | { agent?: AgentPhaseResult; agentFailure?: string }
  /** Not the agent's attempt failing: route the same attempt again (a fallback model, or a block on the budget). */
  | 'route_again'
  /** Cut short while waiting to route again: the interrupt's resolution (undefined: the phase goes on). */
  | { end: PhaseEnd | undefined };

/** The agent's run of this attempt: its commit, or why it failed (an interrupt leaves both empty). */
async function runAgent(work: PhaseAttempts, routed: Routed, queue: string): Promise<AgentRunEnd> {
  const { run, phase, attempt } = work;
  const { state, interrupts } = run;
  const failure = work.failure;
  try {
    const agent = await interrupts.run(() =>
      run.runAgent(queue, {
        ...work.task(),
        attempt,
        territory: run.project.territories[work.role],
        suites: run.project.suites,
        model: routed.choice,
        checklist: state.checklist,
        context: {
          failure: failure && {
            reason: failure.reason,
            failingTests: failure.failingTests,
            outputTail: failure.outputTail,
          },
          previousSha: failure?.sha,
          reviewerComment: work.reviewerComment,
          hint: work.hint,
          guidance: work.guidance,
        },
      }),
    );
    return { agent };
  } catch (error) {
    const type = failureType(error);
    const providerTrouble = type === AGENT_FAILURE_TYPES.provider && work.providerTrouble < MAX_PROVIDER_TROUBLE;
    if (type !== AGENT_FAILURE_TYPES.budget && !providerTrouble) return { agentFailure: agentFailureMessage(error) };
    work.providerTrouble += type === AGENT_FAILURE_TYPES.provider ? 1 : 0;
    await run.audit.record([
      {
        actor: 'orchestrator',
        kind: type === AGENT_FAILURE_TYPES.budget ? 'budget.emergency_stop' : 'routing.provider_failure',
        message: `${phase.name} attempt ${attempt} on ${routed.choice.id} stopped: ${failureMessage(error)}${type === AGENT_FAILURE_TYPES.provider ? '; routing it again' : ''}`,
        data: { phase: phase.name, attempt, model: routed.choice.id, provider: routed.choice.provider },
      },
    ]);
    if (type === AGENT_FAILURE_TYPES.provider) {
      const pause = await interrupts.run(() =>
        sleep(retryDelayMs(work.providerTrouble, run.settings)).then(() => true),
      );
      if (pause === undefined) return { end: await work.resolve(interrupts.take()) };
    }
    return 'route_again';
  }
}

/** The runner checks the agent's commit; a check that could not run is the attempt's failure. */
async function checkAgentCommit(
  work: PhaseAttempts,
  routed: Routed,
  agent: AgentPhaseResult,
): Promise<{ check?: CheckResult; failure?: string }> {
  const { run, phase, attempt } = work;
  const { state } = run;
  state.costUsd = formatUsdExact(parseUsd(state.costUsd) + parseUsd(agent.costUsd));
  await run.transition(
    'testing',
    `${phase.name}: the ${phase.role} committed ${short(agent.sha)}; the runner checks it`,
    {
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
    },
  );
  try {
    const check = await run.interrupts.run(() =>
      run.runner.runCheck(
        checkInput(run.checked(), phase, { attempt, purpose: 'attempt', worktree: state.worktree!, sha: agent.sha }),
      ),
    );
    return { check };
  } catch (error) {
    if (isCancellation(error)) throw error;
    return { failure: `the check could not run: ${failureMessage(error)}` };
  }
}

/** The type of the application failure behind a failed agent run. */
function failureType(error: unknown): string | undefined {
  const failure = agentRunFailure(error);
  return failure?.cause instanceof ApplicationFailure ? (failure.cause.type ?? undefined) : undefined;
}

/** What went wrong in a failed agent run, in one line; anything else (a cancellation) goes on up. */
function agentFailureMessage(error: unknown): string {
  const failure = agentRunFailure(error);
  if (failure?.cause instanceof ApplicationFailure) return failure.cause.message;
  if (failure) return `the agent's run failed: ${failure.cause?.message ?? failure.message}`;
  throw error;
}

/** The failure of an agent's run: its activity's (older histories) or its child workflow's. */
function agentRunFailure(error: unknown): ActivityFailure | ChildWorkflowFailure | undefined {
  return error instanceof ActivityFailure || error instanceof ChildWorkflowFailure ? error : undefined;
}
