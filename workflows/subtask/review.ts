import { isCancellation, patched, uuid4 } from '@temporalio/workflow';
import type { ReviewInput } from '../../activities/subtask/review.js';
import { guidanceProblem } from '../../domain/guidance-text.js';
import { failureMessage } from '../failure-message.js';
import { QUESTIONS_ON_MODEL_QUEUES, askModelQuestion } from '../model-question.js';
import type { SubtaskRun } from './run.js';
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
    const input: ReviewInput = {
      ...work.task(),
      failures: failures.map((failure) => ({
        attempt: failure.attempt,
        reason: failure.reason,
        failingTests: failure.failingTests,
        outputTail: failure.outputTail,
        sha: failure.sha,
      })),
      model: routed.choice,
    };
    const review = await interrupts.run(() =>
      patched(QUESTIONS_ON_MODEL_QUEUES) ? askForGuidance(run, input) : run.orchestrator.strategicReview(input),
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

const GUIDANCE_CHARS = 4_000;

/** The review asked from here: its question prepared on the orchestrator's queue, asked on the model's. */
async function askForGuidance(
  run: SubtaskRun,
  input: ReviewInput,
): Promise<{ guidance: string; model: string; costUsd: string }> {
  const question = await run.orchestrator.prepareStrategicReview(input);
  const answer = await askModelQuestion(run.settings, question, `review-${input.phase}-${uuid4().slice(0, 8)}`);
  // An answer that is no guidance is final: it was answered and paid; asking again would pay twice.
  const problem = guidanceProblem(answer.text);
  if (problem) throw new Error(`${input.model.id} gave no guidance: ${problem}`);
  const guidance = answer.text.trim();
  return {
    guidance:
      guidance.length > GUIDANCE_CHARS
        ? `${guidance.slice(0, GUIDANCE_CHARS)}\n[… cut at ${GUIDANCE_CHARS} characters]`
        : guidance,
    model: input.model.id,
    costUsd: answer.costUsd,
  };
}
