import { z } from 'zod';
import { PHASE_NAMES } from './phases.js';
import { TEXT_LIMITS, boundedText } from './text.js';

/** What an escalation may offer a person (each escalation offers two to four of them). */
export const ESCALATION_OPTIONS = [
  'retry',
  'retry_with_model',
  'skip',
  'reset',
  'cancel',
  'force_complete',
  'raise_budget',
] as const;

/** What `escalation.answer` takes: the escalation, the chosen option, why, and what the option needs. */
export const EscalationAnswerInput = z.strictObject({
  id: z.uuid('give the escalation id, as inbox.escalations lists it'),
  option: z.enum(ESCALATION_OPTIONS, {
    error: () => `choose one of the escalation's options: ${ESCALATION_OPTIONS.join(', ')}`,
  }),
  reason: boundedText(2_000, 'the reason', { trim: true }).min(3, 'say why, in a few words: it goes to the audit log'),
  /** For retry: what the next attempt should know. */
  hint: boundedText(TEXT_LIMITS.reason, 'the hint', { trim: true }).optional(),
  /** For retry_with_model: the model; by default the one the escalation names. */
  model: z
    .string()
    .regex(/^[\w.:/@-]{1,120}$/, 'a model id from the registry, like gpt-5')
    .optional(),
  /** For reset: the phase to go back to; by default the one the escalation names. */
  phase: z.enum(PHASE_NAMES, { error: () => `a phase: ${PHASE_NAMES.join(', ')}` }).optional(),
});
export type EscalationAnswerInput = z.infer<typeof EscalationAnswerInput>;
