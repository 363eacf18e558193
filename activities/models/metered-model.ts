import type { LanguageModel } from 'ai';
import { type ModelChoice, modelTaskQueue, providerModelName } from '../../domain/models.js';
import type { ModelCallMeta } from './gateway.js';
import { type ModelTransport, fetchThrough } from './model-transport.js';
import { createLanguageModel, virtualBaseUrlOf } from './providers.js';

export interface HttpCallTiming {
  startedAt: Date;
  latencyMs: number;
  status: number;
}

/**
 * A chat model whose every HTTP call goes through the transport (the model's gateway) and is timed,
 * so each call can go into the cost ledger with its latency.
 */
export function createMeteredModel(options: {
  choice: ModelChoice;
  transport: ModelTransport;
  meta: ModelCallMeta;
  timeoutMs: number;
}): {
  model: LanguageModel;
  takeTiming(): HttpCallTiming | undefined;
} {
  const { choice } = options;
  const timings: HttpCallTiming[] = [];
  const gatewayFetch = fetchThrough(options.transport, {
    modelId: choice.id,
    providerId: choice.provider,
    taskQueue: modelTaskQueue(choice.id),
    timeoutMs: options.timeoutMs,
    meta: options.meta,
  });
  const meteredFetch: typeof fetch = async (input, init) => {
    const startedAt = new Date();
    const started = performance.now();
    try {
      const response = await gatewayFetch(input, init);
      timings.push({ startedAt, latencyMs: Math.round(performance.now() - started), status: response.status });
      return response;
    } catch (error) {
      timings.push({ startedAt, latencyMs: Math.round(performance.now() - started), status: 0 });
      throw error;
    }
  };
  // A step's retried calls leave several timings: the last is the call that answered.
  return {
    // By the provider's id, never the address a workflow was started with: the gateway knows where it is now.
    model: createLanguageModel(
      choice.providerSettings.kind,
      virtualBaseUrlOf(choice.provider),
      providerModelName(choice.id, choice),
      meteredFetch,
    ),
    takeTiming: () => timings.splice(0).at(-1),
  };
}
