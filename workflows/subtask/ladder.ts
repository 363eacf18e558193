import { nextRung, personTier } from '../../domain/attempts.js';
import { humanOptions, untriedModel } from '../../domain/escalation.js';
import { phaseBefore } from '../../domain/phases.js';
import type { PhaseAttempts, PhaseEnd } from './attempts.js';
import { convene } from './council-tier.js';
import { waitForPerson } from './person.js';
import { reviewFailures } from './review.js';

/**
 * A phase's attempts are spent: it climbs the ladder — tier 2 a strategic review (its guidance,
 * more attempts), tier 3 the council, each once a phase where they are on, then tier 4 a person.
 * Returns how the phase ends, or undefined when its attempts go on.
 */
export async function climbLadder(work: PhaseAttempts): Promise<PhaseEnd | undefined> {
  const { run, phase } = work;
  const { state, ladder } = run;
  const perPhase = {
    strategicReview: ladder.strategicReview,
    council: ladder.council.enabled,
    ...ladder.phases[phase.name],
  };
  const tiers = { strategicReview: Boolean(perPhase.strategicReview), council: Boolean(perPhase.council) };
  const climbed: string[] = [];
  for (;;) {
    switch (nextRung(tiers, work)) {
      case 'review': {
        work.reviewed = true;
        state.escalationTier = 2;
        const review = await reviewFailures(work);
        if ('answer' in review) return work.resolve(review.answer);
        if ('note' in review) {
          climbed.push(review.note);
          continue;
        }
        work.guidance = review.guidance;
        work.limit = work.attempt + ladder.reviewAttempts;
        return undefined;
      }
      case 'council': {
        work.councilTried = true;
        state.escalationTier = 3;
        const convened = await convene(work);
        if ('answer' in convened) return work.resolve(convened.answer);
        if ('sha' in convened) return { outcome: 'passed', sha: convened.sha };
        climbed.push(convened.reason);
        continue;
      }
      case 'person': {
        state.escalationTier = 4;
        const otherModel = untriedModel(
          run.input.models,
          run.lastAvailability,
          work.triedModels,
          state.council?.members,
        );
        const offered = humanOptions({ otherModel, earlierPhase: phaseBefore(run.phases, phase.name) });
        const failure = work.failure!;
        const answer = await waitForPerson(
          run,
          phase.name,
          {
            reason: `${work.failures.length} attempt(s) of ${phase.name} failed${work.reviewed ? ' (with a strategic review)' : ''}${climbed.length > 0 ? `; ${climbed.join('; ')}` : ''}; last: ${failure.reason}`,
            options: offered.options,
            details: offered.details,
          },
          personTier(tiers),
        );
        return work.resolve(answer, true);
      }
    }
  }
}
