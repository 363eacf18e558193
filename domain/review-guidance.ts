import { z } from 'zod';
import { guidanceProblem } from './guidance-text.js';

export { isRefusal } from './guidance-text.js';

/**
 * The strategic review's answer, validated: guidance is text that says something. An empty answer,
 * or one that only says the model cannot help ("I cannot help with that", "I'm unable to…"), is no
 * guidance: the review gave the ladder nothing, and it goes on up as when the review fails.
 */
export const StrategicGuidance = z
  .string()
  .transform((text) => text.trim())
  .superRefine((text, context) => {
    const problem = guidanceProblem(text);
    if (problem) context.addIssue({ code: 'custom', message: problem });
  });
