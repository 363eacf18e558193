import { EscalationAnswerInput } from '../../../domain/escalation-answer.js';
import { answerEscalation } from '../escalations.js';
import { actorOf, reviewProcedure, router } from '../trpc.js';

export const escalationRouter = router({
  /**
   * Answers an open escalation with one of its options (retry with a hint, retry with another model,
   * skip, reset, cancel): the option is sent to the waiting workflow as an override by the caller.
   */
  answer: reviewProcedure
    .input(EscalationAnswerInput)
    .mutation(({ ctx, input }) => answerEscalation(ctx, input, actorOf(ctx))),
});
