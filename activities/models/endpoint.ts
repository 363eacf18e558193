import type { MaestroConfig } from '../../domain/config.js';

export interface ModelEndpoint {
  provider: string;
  baseUrl: string;
  model: string;
  /** Read from the environment at the moment of use; never logged, stored or sent to a workflow. */
  apiKey: string | undefined;
}

const OPENAI = 'https://api.openai.com/v1';

/** The model agents use: the configured endpoint, else OpenAI when its key exists, else none. */
export function resolveModelEndpoint(config: MaestroConfig, env: Record<string, string | undefined>): ModelEndpoint | undefined {
  const apiKey = env[config.models.apiKeyEnv];
  if (config.models.baseUrl) {
    return { provider: config.models.demo ? 'scripted' : providerOf(config.models.baseUrl), baseUrl: config.models.baseUrl, model: config.models.model, apiKey };
  }
  if (apiKey) return { provider: 'openai', baseUrl: OPENAI, model: config.models.model, apiKey };
  return undefined;
}

function providerOf(baseUrl: string): string {
  const host = new URL(baseUrl).hostname;
  if (host === 'api.openai.com') return 'openai';
  if (host.endsWith('openrouter.ai')) return 'openrouter';
  if (host === 'api.deepseek.com') return 'deepseek';
  return 'openai-compatible';
}
