import { ApplicationFailure } from '@temporalio/activity';
import {
  APICallError,
  EmptyResponseBodyError,
  InvalidResponseDataError,
  JSONParseError,
  NoContentGeneratedError,
  RetryError,
  TypeValidationError,
} from 'ai';
import { AGENT_FAILURE_TYPES } from '../../domain/agent-failure.js';
import { ModelCallError } from '../models/model-transport.js';
import { PromptTooLargeError } from './run-agent.js';

/**
 * A model call that failed: the provider's trouble (the workflow routes the attempt again, to a
 * fallback if its circuit opened) or the agent's own (the attempt fails); undefined when neither.
 */
export function classifyRunFailure(error: unknown, modelId: string): ApplicationFailure | undefined {
  const last = RetryError.isInstance(error) ? error.lastError : error;
  const message = last instanceof Error ? last.message.split('\n')[0]! : String(last);
  if (last instanceof PromptTooLargeError)
    return ApplicationFailure.nonRetryable(`The prompt does not fit ${modelId}: ${message}`, AGENT_FAILURE_TYPES.agent);
  if (APICallError.isInstance(last)) {
    const status = last.statusCode ?? 0;
    // A 2xx whose body could not be read (not JSON, say) is a broken answer: the provider's trouble too.
    const brokenBody = status >= 200 && status < 300;
    const providerTrouble =
      brokenBody ||
      status === 0 ||
      status >= 500 ||
      status === 429 ||
      status === 401 ||
      status === 403 ||
      status === 408;
    return ApplicationFailure.nonRetryable(
      `${modelId}: ${message}`,
      providerTrouble ? AGENT_FAILURE_TYPES.provider : AGENT_FAILURE_TYPES.agent,
    );
  }
  const brokenAnswer = [
    JSONParseError,
    InvalidResponseDataError,
    TypeValidationError,
    NoContentGeneratedError,
    EmptyResponseBodyError,
  ].some((kind) => kind.isInstance(last));
  if (last instanceof ModelCallError || brokenAnswer)
    return ApplicationFailure.nonRetryable(`${modelId}: ${message}`, AGENT_FAILURE_TYPES.provider);
  return undefined;
}
