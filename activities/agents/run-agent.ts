import { generateText, hasToolCall, stepCountIs, type LanguageModel, type ModelMessage } from 'ai';
import type { HttpCallTiming } from '../models/metered-model.js';
import { estimateMessageTokens, estimateTokens } from '../models/tokens.js';
import { type PrunedItem, prunePrompt } from './pruning.js';
import { FinishInput, type createAgentTools } from './tools.js';

export interface AgentStep {
  index: number;
  modelId: string;
  /** From the provider's usage, or estimated when it reported none (the ledger's count is the gateway's). */
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  estimated: boolean;
  latencyMs: number;
  startedAt: Date;
  toolCalls: string[];
}

interface ModelRunOptions {
  model: LanguageModel;
  takeTiming(): HttpCallTiming | undefined;
  system: string;
  task: string;
  signal: AbortSignal;
  /** Tokens the prompt may take: older turns are pruned by the rules of pruning.ts to fit. */
  promptBudgetTokens: number;
  /** Tokens an answer may take; the provider's default when absent. */
  maxOutputTokens?: number;
  onStep(step: AgentStep): Promise<void>;
}

export interface AgentRunOptions extends ModelRunOptions {
  tools: ReturnType<typeof createAgentTools>;
  maxSteps: number;
}

export interface AgentOutcome {
  finished: boolean;
  finish?: FinishInput;
  text: string;
  steps: number;
  /** What was cut from the prompt to fit its budget, step by step. */
  pruned: PrunedItem[];
}

/** The prompt cannot be made to fit the model's budget, even with everything prunable pruned. */
export class PromptTooLargeError extends Error {}

/**
 * The agent's loop: observe, think, act, see the result, until it calls finish or runs out of
 * steps. Each step is one model call, reported through `onStep` for the cost ledger.
 */
export async function runAgentLoop(options: AgentRunOptions): Promise<AgentOutcome> {
  let index = 0;
  const pruned = new Map<string, PrunedItem>();
  const result = await generateText({
    model: options.model,
    system: options.system,
    prompt: options.task,
    tools: options.tools,
    stopWhen: [stepCountIs(options.maxSteps), hasToolCall('finish')],
    abortSignal: options.signal,
    maxRetries: 2,
    maxOutputTokens: options.maxOutputTokens,
    prepareStep: ({ messages }) => {
      const fitted = prunePrompt(messages, options.promptBudgetTokens - estimateTokens(options.system), {
        countTokens: estimateMessageTokens,
      });
      if (!fitted.fits)
        throw new PromptTooLargeError(
          `the prompt needs ${fitted.tokens} tokens even after pruning; the model's budget is ${options.promptBudgetTokens}`,
        );
      for (const item of fitted.pruned) pruned.set(`${item.step}/${item.tool}/${item.rule}`, item);
      return { messages: fitted.messages };
    },
    onStepFinish: async (step) => {
      await options.onStep(
        stepRecord(
          index++,
          step,
          options.takeTiming(),
          step.toolCalls.map((call) => call.toolName),
        ),
      );
    },
  });
  const finishCall = result.steps.flatMap((step) => step.toolCalls).find((call) => call.toolName === 'finish');
  const finish = finishCall ? FinishInput.safeParse(finishCall.input) : undefined;
  return {
    finished: finish?.success === true,
    finish: finish?.success ? finish.data : undefined,
    text: result.text,
    steps: result.steps.length,
    pruned: [...pruned.values()],
  };
}

/**
 * For a model without tool calling: one call whose answer holds the files (see output-parser.ts).
 * The task must already carry what the model needs to see (the briefing with whole files).
 */
export async function runTextAgent(options: ModelRunOptions): Promise<{ text: string }> {
  const messages: ModelMessage[] = [{ role: 'user', content: options.task }];
  const fitted = prunePrompt(messages, options.promptBudgetTokens - estimateTokens(options.system), {
    countTokens: estimateMessageTokens,
  });
  if (!fitted.fits)
    throw new PromptTooLargeError(
      `the task needs ${fitted.tokens} tokens; the model's budget is ${options.promptBudgetTokens}`,
    );
  const result = await generateText({
    model: options.model,
    system: options.system,
    messages: fitted.messages,
    abortSignal: options.signal,
    maxRetries: 2,
    maxOutputTokens: options.maxOutputTokens,
  });
  await options.onStep(stepRecord(0, result, options.takeTiming(), []));
  return { text: result.text };
}

interface FinishedStep {
  usage: { inputTokens: number | undefined; outputTokens: number | undefined; cachedInputTokens?: number | undefined };
  response: { modelId: string };
  request: { body?: unknown };
  text: string;
  toolCalls: ReadonlyArray<{ toolName: string; input: unknown }>;
}

function stepRecord(
  index: number,
  step: FinishedStep,
  timing: HttpCallTiming | undefined,
  toolCalls: string[],
): AgentStep {
  const reported = step.usage.inputTokens !== undefined && step.usage.outputTokens !== undefined;
  const requestText =
    typeof step.request.body === 'string' ? step.request.body : JSON.stringify(step.request.body ?? '');
  return {
    index,
    modelId: step.response.modelId,
    inputTokens: reported ? step.usage.inputTokens! : estimateTokens(requestText),
    outputTokens: reported
      ? step.usage.outputTokens!
      : estimateTokens(
          step.text + JSON.stringify(step.toolCalls.map((call) => ({ name: call.toolName, input: call.input }))),
        ),
    cachedTokens: step.usage.cachedInputTokens ?? 0,
    estimated: !reported,
    latencyMs: timing?.latencyMs ?? 0,
    startedAt: timing?.startedAt ?? new Date(),
    toolCalls,
  };
}
