import { createAnthropic } from '@ai-sdk/anthropic';
import { createDeepSeek } from '@ai-sdk/deepseek';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModel } from 'ai';
import type { ProviderKind, ProviderSettings } from '../../domain/models.js';

/** Where each kind of provider answers when no base URL is configured. */
export const DEFAULT_BASE_URLS: Record<Exclude<ProviderKind, 'openai-compatible'>, string> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com/v1',
  google: 'https://generativelanguage.googleapis.com/v1beta',
  deepseek: 'https://api.deepseek.com',
};

/** The base URL calls to this provider go to. */
export function baseUrlOf(provider: ProviderSettings): string {
  if (provider.baseUrl) return provider.baseUrl.replace(/\/+$/, '');
  if (provider.kind === 'openai-compatible') throw new Error('an openai-compatible provider needs a baseUrl');
  return DEFAULT_BASE_URLS[provider.kind];
}

/**
 * Stands in for the key on the calling side: the gateway that makes the call replaces it with the
 * real one, so keys live only in the gateway's process and never in a request that Temporal stores.
 */
export const KEY_PLACEHOLDER = 'key-added-by-the-maestro-gateway';

/** The headers that carry a provider's key. */
export const KEY_HEADERS = ['authorization', 'x-api-key', 'x-goog-api-key'] as const;

/** Sets the header this kind of provider reads its key from. */
export function keyHeadersFor(kind: ProviderKind, key: string): Record<string, string> {
  switch (kind) {
    case 'anthropic':
      return { 'x-api-key': key };
    case 'google':
      return { 'x-goog-api-key': key };
    default:
      return { authorization: `Bearer ${key}` };
  }
}

/** A chat model of this provider, whose HTTP calls all go through `fetch`. */
export function createLanguageModel(
  provider: ProviderSettings,
  modelName: string,
  fetch: typeof globalThis.fetch,
): LanguageModel {
  const common = { baseURL: baseUrlOf(provider), apiKey: KEY_PLACEHOLDER, fetch };
  switch (provider.kind) {
    case 'openai':
      // Chat completions, the protocol every OpenAI-compatible server shares (not the Responses API).
      return createOpenAI(common).chat(modelName);
    case 'anthropic':
      return createAnthropic(common)(modelName);
    case 'google':
      return createGoogleGenerativeAI(common)(modelName);
    case 'deepseek':
      return createDeepSeek(common)(modelName);
    case 'openai-compatible':
      return createOpenAICompatible({ ...common, name: 'openai-compatible', includeUsage: true }).chatModel(modelName);
  }
}
