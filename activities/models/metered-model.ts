import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModel } from 'ai';
import type { ModelEndpoint } from './endpoint.js';

export interface HttpCallTiming {
  startedAt: Date;
  latencyMs: number;
  status: number;
}

/**
 * A chat model on an OpenAI-compatible endpoint whose every HTTP call is timed, so each model call
 * can go into the cost ledger with its latency.
 */
export function createMeteredModel(endpoint: ModelEndpoint): { model: LanguageModel; takeTiming(): HttpCallTiming | undefined } {
  const timings: HttpCallTiming[] = [];
  const meteredFetch: typeof fetch = async (input, init) => {
    const startedAt = new Date();
    const started = performance.now();
    try {
      const response = await fetch(input, init);
      timings.push({ startedAt, latencyMs: Math.round(performance.now() - started), status: response.status });
      return response;
    } catch (error) {
      timings.push({ startedAt, latencyMs: Math.round(performance.now() - started), status: 0 });
      throw error;
    }
  };
  const provider = createOpenAICompatible({
    name: endpoint.provider,
    baseURL: endpoint.baseUrl,
    apiKey: endpoint.apiKey,
    fetch: meteredFetch,
    includeUsage: true,
  });
  // A step's retried calls leave several timings: the last is the call that answered.
  return { model: provider.chatModel(endpoint.model), takeTiming: () => timings.splice(0).at(-1) };
}
