import { generateText, hasToolCall, stepCountIs, type LanguageModel } from 'ai';
import type { HttpCallTiming } from '../models/metered-model.js';
import { FinishInput, type createAgentTools } from './tools.js';

export interface AgentStep {
  index: number;
  modelId: string;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  latencyMs: number;
  startedAt: Date;
  toolCalls: string[];
}

export interface AgentRunOptions {
  model: LanguageModel;
  takeTiming(): HttpCallTiming | undefined;
  system: string;
  task: string;
  tools: ReturnType<typeof createAgentTools>;
  maxSteps: number;
  signal: AbortSignal;
  onStep(step: AgentStep): Promise<void>;
}

export interface AgentOutcome {
  finished: boolean;
  finish?: FinishInput;
  text: string;
  steps: number;
}

/**
 * The agent's loop: observe, think, act, see the result, until it calls finish or runs out of
 * steps. Each step is one model call, reported through `onStep` for the cost ledger.
 */
export async function runAgentLoop(options: AgentRunOptions): Promise<AgentOutcome> {
  let index = 0;
  const result = await generateText({
    model: options.model,
    system: options.system,
    prompt: options.task,
    tools: options.tools,
    stopWhen: [stepCountIs(options.maxSteps), hasToolCall('finish')],
    abortSignal: options.signal,
    maxRetries: 2,
    onStepFinish: async (step) => {
      const timing = options.takeTiming();
      await options.onStep({
        index: index++,
        modelId: step.response.modelId,
        inputTokens: step.usage.inputTokens ?? 0,
        outputTokens: step.usage.outputTokens ?? 0,
        cachedTokens: step.usage.cachedInputTokens ?? 0,
        latencyMs: timing?.latencyMs ?? 0,
        startedAt: timing?.startedAt ?? new Date(),
        toolCalls: step.toolCalls.map((call) => call.toolName),
      });
    },
  });
  const finishCall = result.steps.flatMap((step) => step.toolCalls).find((call) => call.toolName === 'finish');
  const finish = finishCall ? FinishInput.safeParse(finishCall.input) : undefined;
  return {
    finished: finish?.success === true,
    finish: finish?.success ? finish.data : undefined,
    text: result.text,
    steps: result.steps.length,
  };
}
