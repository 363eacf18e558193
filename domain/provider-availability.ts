import { MODEL_KEYS_SET_ENV } from './config-env.js';
import type { ModelEntry, ProviderSettings } from './models.js';

export interface ProviderAvailability {
  provider: string;
  kind: ProviderSettings['kind'];
  available: boolean;
  /** The variable that holds (or would hold) its key. */
  keyEnv?: string;
  /** What to do to use it, when it cannot be used. */
  missing?: string;
}

/** Which providers can be called with the keys in `env`: a provider without its key is left out, not an error. */
export function providerAvailability(
  providers: Record<string, ProviderSettings>,
  env: Record<string, string | undefined>,
): ProviderAvailability[] {
  return Object.entries(providers).map(([provider, settings]) => {
    if (settings.apiKeyEnv) {
      const available = Boolean(env[settings.apiKeyEnv]?.trim());
      return {
        provider,
        kind: settings.kind,
        available,
        keyEnv: settings.apiKeyEnv,
        missing: available ? undefined : `set ${settings.apiKeyEnv}`,
      };
    }
    const available = settings.kind === 'openai-compatible' && Boolean(settings.baseUrl);
    return {
      provider,
      kind: settings.kind,
      available,
      missing: available ? undefined : 'give it an apiKeyEnv (or a baseUrl for a keyless endpoint)',
    };
  });
}

/** Registry models whose provider can be called. */
export function availableModels(
  models: { providers: Record<string, ProviderSettings>; registry: Record<string, ModelEntry> },
  env: Record<string, string | undefined>,
): string[] {
  const usable = new Set(
    providerAvailability(models.providers, env)
      .filter((provider) => provider.available)
      .map((provider) => provider.provider),
  );
  return Object.entries(models.registry)
    .filter(([, model]) => usable.has(model.provider))
    .map(([id]) => id);
}

/**
 * Which key variables are set, as far as availability goes: the API is told their names by the
 * supervisor (it never holds a key); a process started otherwise looks at its own environment.
 */
export function keysSetIn(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const told = env[MODEL_KEYS_SET_ENV];
  if (told === undefined) return env;
  return Object.fromEntries(
    told
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean)
      .map((name) => [name, 'set']),
  );
}
