import { isCancellation } from '@temporalio/workflow';
import { failureMessage } from '../failure-message.js';
import type { PhaseAttempts } from './attempts.js';
import type { Interrupt } from './interrupts.js';
import { routeAttempt } from './routing.js';

/**
 * Tier 2: the strategic model reads the failures and writes guidance for the next attempts.
 * Without a strategic model (or when the review fails) the ladder goes on up, saying why.
 */
export async function reviewFailures(
  work: PhaseAttempts,
): Promise<{ guidance: string } | { note: string } | { answer: Interrupt }> {
  const { run, phase, failures } = work;
  const { state, interrupts } = run;
  const routed = await routeAttempt(run, phase.name, 'strategic');
  if ('answer' in routed) return routed;
  if ('unavailable' in routed) return { note: `no strategic review (${routed.unavailable})` };
  await run.audit.record([
    {
      actor: 'orchestrator',
      kind: 'escalation.review',
      message: `Escalating ${phase.name} to a strategic review by ${routed.choice.id} after ${failures.length} failed attempt(s) (tier 2)`,
      data: { phase: phase.name, model: routed.choice.id },
    },
  ]);
  try {
    const review = await interrupts.run(() =>
      run.orchestrator.strategicReview({
        ...work.task(),
        failures: failures.map((failure) => ({
          attempt: failure.attempt,
          reason: failure.reason,
          failingTests: failure.failingTests,
          outputTail: failure.outputTail,
          sha: failure.sha,
        })),
        model: routed.choice,
      }),
    );
    if (review === undefined) return { answer: interrupts.take() };
    state.guidance = review.guidance;
    await run.audit.record([
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
    await run.audit.record([
      {
        actor: 'orchestrator',
        kind: 'escalation.review_failed',
        message: `${phase.name}: ${note}`,
        data: { phase: phase.name },
      },
    ]);
    return { note };
  }
}
