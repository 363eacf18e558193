import { sleep } from '@temporalio/workflow';
import { atLeast, describeSpend } from '../../domain/budget.js';
import { parseUsd } from '../../domain/money.js';
import type { ModelChoice } from '../../domain/models.js';
import type { PhaseName } from '../../domain/phases.js';
import { type ModelAvailability, chooseModel } from '../../domain/routing.js';
import type { Interrupt } from './interrupts.js';
import { escalate } from './person.js';
import type { SubtaskRun } from './run.js';

/** A model chosen for a piece of work, why, and what could be called at that moment. */
export type Routed = { choice: ModelChoice; reason: string; availability: ModelAvailability };

/** Strategic work is a help, not a step: without a model for it, the ladder goes on, saying why. */
export type Unavailable = { unavailable: string; availability: ModelAvailability };

type AgentWork = { role: 'tester' | 'developer'; attempt: number };

/** Gateways may be starting (or restarting): routing looks again this often, this many times, before asking a person. */
const UNSERVED_LOOKS = 6;
const UNSERVED_LOOK_INTERVAL = '10 seconds';

/**
 * The model for the next piece of work, decided now: the budget first (a hard or emergency tier
 * blocks until a person raises the limit or cancels; soft downgrades), then the first model of the
 * preference list whose provider can be called (a failing provider's work goes to the fallback).
 */
export async function routeAttempt(
  run: SubtaskRun,
  phaseName: PhaseName,
  work: AgentWork,
): Promise<Routed | { answer: Interrupt }>;
export async function routeAttempt(
  run: SubtaskRun,
  phaseName: PhaseName,
  work: 'strategic',
): Promise<Routed | { answer: Interrupt } | Unavailable>;
export async function routeAttempt(
  run: SubtaskRun,
  phaseName: PhaseName,
  work: AgentWork | 'strategic',
): Promise<Routed | { answer: Interrupt } | Unavailable> {
  const { state, input, interrupts } = run;
  let unservedLooks = 0;
  for (;;) {
    run.budgetChangedBy = undefined;
    const context = await run.audit.withPending((writes) =>
      run.progress.modelContext({
        projectId: run.project.id,
        subtaskId: input.subtaskId,
        phase: phaseName,
        ...(writes.length > 0 ? { writes } : {}),
      }),
    );
    run.lastAvailability = context.availability;
    state.costUsd = context.subtaskSpentUsd;
    state.budget = { tier: context.budget.tier, spentUsd: context.budget.spentUsd, limits: context.budget.limits };
    const spent = parseUsd(context.budget.spentUsd);
    if (atLeast(context.budget.tier, 'hard')) {
      const reason = `budget: ${describeSpend(spent, context.budget.tier, context.budget.limits)}; raise the project's limits or cancel`;
      await run.audit.record([
        {
          actor: 'orchestrator',
          kind: `budget.${context.budget.tier}`,
          message: `${phaseName} holds: ${reason}`,
          data: { ...state.budget },
        },
      ]);
      const answer = await escalate(run, phaseName, { reason, options: ['raise_budget', 'cancel'] }, 4);
      if (answer === 'budget_changed') continue;
      return { answer };
    }
    if (context.budget.tier === 'soft' && !run.softLimitAnnounced) {
      run.softLimitAnnounced = true;
      await run.audit.record([
        {
          actor: 'orchestrator',
          kind: 'budget.soft',
          message: `budget warning: ${describeSpend(spent, 'soft', context.budget.limits)}; routine work goes to the cheaper models`,
          data: { ...state.budget },
        },
      ]);
    }
    const forced = work === 'strategic' ? undefined : run.chosenModel;
    if (
      forced &&
      context.availability.available.includes(forced) &&
      !context.availability.openCircuits[input.models.registry[forced]!.provider]
    ) {
      return {
        choice: run.choiceOf(forced),
        reason: `chosen by a person for this phase`,
        availability: context.availability,
      };
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
            prefer: champion && {
              model: champion.model,
              why: `it won ${champion.wins} of ${champion.councils} ${phaseName} councils`,
            },
          },
      context.availability,
    );
    if (decision.model === undefined) {
      if (work === 'strategic') return { unavailable: decision.reason, availability: context.availability };
      if (decision.retryAt) {
        const wait = Math.max(1_000, Date.parse(decision.retryAt) - Date.now());
        await run.audit.record([
          {
            actor: 'orchestrator',
            kind: 'routing.waiting',
            message: `${phaseName} waits ${Math.ceil(wait / 1000)} s: ${decision.reason}`,
          },
        ]);
        const waited = await interrupts.run(() => sleep(wait).then(() => true));
        if (waited === undefined) return { answer: interrupts.take() };
        continue;
      }
      if (unservedLooks < UNSERVED_LOOKS) {
        if (unservedLooks === 0)
          await run.audit.record([
            {
              actor: 'orchestrator',
              kind: 'routing.waiting',
              message: `${phaseName} waits for a model gateway: ${decision.reason}`,
            },
          ]);
        unservedLooks += 1;
        const waited = await interrupts.run(() => sleep(UNSERVED_LOOK_INTERVAL).then(() => true));
        if (waited === undefined) return { answer: interrupts.take() };
        continue;
      }
      unservedLooks = 0;
      const answer = await escalate(run, phaseName, { reason: decision.reason, options: ['retry', 'cancel'] }, 4);
      if (answer === 'budget_changed') continue;
      return { answer };
    }
    if (decision.passedOver.length > 0) {
      await run.audit.record([
        {
          actor: 'orchestrator',
          kind: 'routing.fallback',
          message: `${decision.passedOver.map((skip) => `${skip.model} skipped (${skip.provider} is failing; tried again after ${skip.until})`).join('; ')}: ${decision.model} takes the work`,
          data: { phase: phaseName, model: decision.model, passedOver: decision.passedOver },
        },
      ]);
    }
    return { choice: run.choiceOf(decision.model), reason: decision.reason, availability: context.availability };
  }
}
