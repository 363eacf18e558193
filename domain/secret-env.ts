import { STACK_TOKEN_ENV } from './config-env.js';
import { DEFAULT_PROVIDERS, type ProviderSettings } from './models.js';

/**
 * Provider keys Maestro knows by name even when no provider of the configuration uses them: a key
 * exported for another tool in the same shell is still a key.
 */
export const WELL_KNOWN_KEY_ENV: readonly string[] = [
  ...Object.values(DEFAULT_PROVIDERS).flatMap((provider) => (provider.apiKeyEnv ? [provider.apiKeyEnv] : [])),
  'GOOGLE_GENERATIVE_AI_API_KEY',
  'GOOGLE_API_KEY',
  'AZURE_OPENAI_API_KEY',
  'OPENROUTER_API_KEY',
  'MISTRAL_API_KEY',
  'GROQ_API_KEY',
  'XAI_API_KEY',
  'TOGETHER_API_KEY',
  'ANTHROPIC_AUTH_TOKEN',
];

/** Maestro's own credentials: the supervisor's token for its API, the CLI's token, the database's URL. */
export const MAESTRO_CREDENTIAL_ENV: readonly string[] = [STACK_TOKEN_ENV, 'MAESTRO_TOKEN', 'DATABASE_URL'];

/** What secretEnvNames needs of the configuration: the providers, and the shorthand endpoint's key variable. */
export interface SecretEnvSources {
  providers: Record<string, Pick<ProviderSettings, 'apiKeyEnv'>>;
  apiKeyEnv?: string;
}

/** The variables holding the keys of the configured providers (custom names and the shorthand's included). */
export function modelKeyEnvNames(models: SecretEnvSources): string[] {
  const names = Object.values(models.providers).flatMap((provider) => (provider.apiKeyEnv ? [provider.apiKeyEnv] : []));
  if (models.apiKeyEnv) names.push(models.apiKeyEnv);
  return [...new Set(names)];
}

/** Every variable Maestro knows to hold a secret, by whatever name the configuration gives it. */
export function secretEnvNames(models: SecretEnvSources): Set<string> {
  return new Set([...modelKeyEnvNames(models), ...WELL_KNOWN_KEY_ENV, ...MAESTRO_CREDENTIAL_ENV]);
}
