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
 * Where the calling side addresses a provider: by its id, under a host that never resolves. The
 * gateway maps the path onto the base URL its own configuration gives now, so a running subtask
 * (whose history holds its requests) follows a provider that moved, and addresses never go into a
 * workflow's history.
 */
export function virtualBaseUrlOf(providerId: string): string {
  return `http://provider.maestro.invalid/${encodeURIComponent(providerId)}`;
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

/** A chat model of this kind of provider at `baseURL`, whose HTTP calls all go through `fetch`. */
export function createLanguageModel(
  kind: ProviderKind,
  baseURL: string,
  modelName: string,
  fetch: typeof globalThis.fetch,
): LanguageModel {
  const common = { baseURL, apiKey: KEY_PLACEHOLDER, fetch };
  switch (kind) {
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
