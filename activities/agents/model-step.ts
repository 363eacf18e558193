import { generateText, type ModelMessage } from 'ai';
import type { ModelChoice } from '../../domain/models.js';
import type { HttpCallTiming } from '../models/metered-model.js';
import { createMeteredModel } from '../models/metered-model.js';
import type { ModelCallMeta } from '../models/gateway.js';
import type { ModelTransport } from '../models/model-transport.js';
import { estimateMessageTokens, estimateTokens } from '../models/tokens.js';
import { type PrunedItem, prunePrompt } from './pruning.js';
import { PromptTooLargeError } from './run-agent.js';
import { FinishInput, agentToolDeclarations } from './tools.js';

/** One step of an agent's run: the conversation so far goes to the model, once. */
export interface ModelStepInput {
  /** The run's step id (`<agent run>/<run id>/step-<n>`): its HTTP calls' ledger lines are keyed by it. */
  callId: string;
  step: number;
  choice: ModelChoice;
  meta: ModelCallMeta;
  /** Refused, and cut in flight, once the calls charged to this workflow cost this much (a council's cap). */
  spendCap?: { workflowId: string; usd: number };
  system: string;
  messages: ModelMessage[];
  /** A model without tool calling answers in text, with its files in fenced blocks. */
  textMode: boolean;
  promptBudgetTokens: number;
  maxOutputTokens?: number;
  timeoutMs: number;
}

export interface StepToolCall {
  toolCallId: string;
  toolName: string;
  input: unknown;
}

export interface ModelStepResult {
  /** What the model said (its text and tool calls), to append to the conversation. */
  responseMessages: ModelMessage[];
  toolCalls: StepToolCall[];
  /** The finish call's input, checked; or why it cannot be used. */
  finish?: FinishInput;
  finishError?: string;
  text: string;
  finishReason: string;
  inputTokens: number;
  outputTokens: number;
  /** The provider reported no usage: the tokens are estimated (the ledger's count is the gateway's). */
  estimated: boolean;
  latencyMs: number;
  /** The conversation as sent, when pruning changed it: the run goes on from it, so its history stays small. */
  prunedMessages?: ModelMessage[];
  pruned: PrunedItem[];
}

/**
 * The model call of one step, through the transport (which sends each HTTP call and writes its
 * ledger line). Tools are declared, not run: the caller runs them where the worktree is.
 */
export async function runModelStep(
  input: ModelStepInput,
  transport: ModelTransport,
  signal: AbortSignal,
): Promise<ModelStepResult> {
  const fitted = prunePrompt(input.messages, input.promptBudgetTokens - estimateTokens(input.system), {
    countTokens: estimateMessageTokens,
  });
  if (!fitted.fits)
    throw new PromptTooLargeError(
      `the prompt needs ${fitted.tokens} tokens even after pruning; the model's budget is ${input.promptBudgetTokens}`,
    );
  const { model, takeTiming } = createMeteredModel({
    choice: input.choice,
    transport,
    meta: input.meta,
    timeoutMs: input.timeoutMs,
  });
  const result = await generateText({
    model,
    system: input.system,
    messages: fitted.messages,
    ...(input.textMode ? {} : { tools: agentToolDeclarations() }),
    abortSignal: signal,
    maxRetries: 2,
    maxOutputTokens: input.maxOutputTokens,
  });
  const toolCalls = result.toolCalls.map((call) => ({
    toolCallId: call.toolCallId,
    toolName: call.toolName,
    input: call.input,
  }));
  const finishCall = toolCalls.find((call) => call.toolName === 'finish');
  const finish = finishCall ? FinishInput.safeParse(finishCall.input) : undefined;
  const usage = usageOf(result, takeTiming());
  return {
    // Only the model's own turn: tool results are the caller's to add, one per call.
    responseMessages: result.response.messages.filter((message) => message.role === 'assistant'),
    toolCalls,
    finish: finish?.success ? finish.data : undefined,
    finishError: finish && !finish.success ? finish.error.message : undefined,
    text: result.text,
    finishReason: result.finishReason,
    ...usage,
    prunedMessages: fitted.pruned.length > 0 ? fitted.messages : undefined,
    pruned: fitted.pruned,
  };
}

function usageOf(
  result: {
    usage: { inputTokens: number | undefined; outputTokens: number | undefined };
    request: { body?: unknown };
    text: string;
    toolCalls: unknown[];
  },
  timing: HttpCallTiming | undefined,
): Pick<ModelStepResult, 'inputTokens' | 'outputTokens' | 'estimated' | 'latencyMs'> {
  const { inputTokens, outputTokens } = result.usage;
  const reported = inputTokens !== undefined && outputTokens !== undefined;
  return {
    inputTokens: reported ? inputTokens : estimateTokens(JSON.stringify(result.request.body ?? '')),
    outputTokens: reported ? outputTokens : estimateTokens(result.text + JSON.stringify(result.toolCalls)),
    estimated: !reported,
    latencyMs: timing?.latencyMs ?? 0,
  };
}
