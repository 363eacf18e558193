/**
 * Model providers, the model registry and routing preferences: the types and defaults. Pure, with no
 * zod: workflow code imports the types (the schemas are in config.ts).
 */

export const PROVIDER_KINDS = ['openai', 'anthropic', 'google', 'deepseek', 'openai-compatible'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

/** How to reach a provider. Keys are never here: `apiKeyEnv` names the environment variable that holds one. */
export interface ProviderSettings {
  kind: ProviderKind;
  /** Where its API is; the provider's own endpoint when absent. */
  baseUrl?: string;
  /** Unset for endpoints that need no key (a local Ollama or llama.cpp server). */
  apiKeyEnv?: string;
}

/** One model of the registry: who serves it, how big its context is, what it costs, what it can do. */
export interface ModelEntry {
  provider: string;
  /** The provider's name for it, when it differs from the registry id. */
  model?: string;
  contextWindow: number;
  /** US dollars per million tokens. */
  inputPerMillion: number;
  outputPerMillion: number;
  /** For input tokens read from the provider's cache; the input price when absent. */
  cachedInputPerMillion?: number;
  /** Models without tool calling answer in fenced file blocks, which Maestro parses. */
  toolCalling: boolean;
  /** Calls in flight at once: the slots of the process that serves the model's queue (the `models` worker group). */
  maxConcurrent: number;
  /** A rate limit that the Temporal server enforces on the model's task queue. */
  requestsPerMinute?: number;
  /** Tokens a prompt may take; from the context window when absent. */
  promptBudgetTokens?: number;
  /** Tokens an answer may take; the provider's default when absent (Anthropic's is 4,096 for models it does not know). */
  maxOutputTokens?: number;
}

/**
 * A provider as a running workflow knows it: which protocol it speaks. Its address and key are
 * configuration, looked up by its id where the call is made (the gateway), never history.
 */
export type ProviderRef = Pick<ProviderSettings, 'kind'>;

/** What a workflow's input keeps of the configured providers. */
export function providerRefs(providers: Record<string, ProviderSettings>): Record<string, ProviderRef> {
  return Object.fromEntries(Object.entries(providers).map(([id, provider]) => [id, { kind: provider.kind }]));
}

/** A model as a running workflow knows it: the registry entry, its id, and its provider (no key, no address). */
export interface ModelChoice extends ModelEntry {
  id: string;
  providerSettings: ProviderRef;
}

export type ComplexityLevel = 'cheap' | 'strong' | 'strongest';

export interface ModelPreferences {
  cheap?: string[];
  strong?: string[];
}

/**
 * Which model does what, as preference lists: the first model whose provider is available (its key
 * exists, its circuit is closed) is used; the ones after it are the fallbacks.
 */
export interface RoutingSettings {
  /** Planning, review and escalation: the orchestrator's model. */
  strategic: string[];
  /** Routine phases: the cheap models for simple subtasks, the strong ones for complex subtasks. */
  tactical: { cheap: string[]; strong: string[] };
  /** What a hard-stop keyword forces, whatever the budget says. */
  strongest: string[];
  roles: Partial<Record<'tester' | 'developer', ModelPreferences>>;
  phases: Partial<Record<string, ModelPreferences>>;
  /** Complexity at or above this goes to the strong models. */
  complexityThreshold: number;
  hardStopKeywords: string[];
}

/** The registry and routing a subtask was started with: a running workflow never changes under new settings. */
export interface ModelsSnapshot {
  /** Workflows started before addresses were left out hold whole settings here: only the kind is read. */
  providers: Record<string, ProviderRef>;
  registry: Record<string, ModelEntry>;
  routing: RoutingSettings;
}

export const DEFAULT_PROVIDERS: Record<string, ProviderSettings> = {
  openai: { kind: 'openai', apiKeyEnv: 'OPENAI_API_KEY' },
  anthropic: { kind: 'anthropic', apiKeyEnv: 'ANTHROPIC_API_KEY' },
  google: { kind: 'google', apiKeyEnv: 'GEMINI_API_KEY' },
  deepseek: { kind: 'deepseek', apiKeyEnv: 'DEEPSEEK_API_KEY' },
};

const entry = (
  provider: string,
  contextWindow: number,
  input: number,
  output: number,
  cached: number,
  toolCalling = true,
): ModelEntry => ({
  provider,
  contextWindow,
  inputPerMillion: input,
  outputPerMillion: output,
  cachedInputPerMillion: cached,
  toolCalling,
  maxConcurrent: 4,
});

/** List prices at the time of writing; override any of them in maestro.config.json (`models.registry`). */
export const DEFAULT_REGISTRY: Record<string, ModelEntry> = {
  'gpt-4o-mini': entry('openai', 128_000, 0.15, 0.6, 0.075),
  'gpt-4.1-mini': entry('openai', 1_047_576, 0.4, 1.6, 0.1),
  'gpt-4.1': entry('openai', 1_047_576, 2, 8, 0.5),
  'gpt-5-mini': entry('openai', 400_000, 0.25, 2, 0.025),
  'gpt-5': entry('openai', 400_000, 1.25, 10, 0.125),
  'claude-haiku-4-5': entry('anthropic', 200_000, 1, 5, 0.1),
  'claude-sonnet-4-5': entry('anthropic', 200_000, 3, 15, 0.3),
  'claude-opus-4-1': entry('anthropic', 200_000, 15, 75, 1.5),
  'gemini-2.5-flash': entry('google', 1_048_576, 0.3, 2.5, 0.075),
  'gemini-2.5-pro': entry('google', 1_048_576, 1.25, 10, 0.31),
  'deepseek-chat': entry('deepseek', 128_000, 0.28, 0.42, 0.028),
  'deepseek-reasoner': entry('deepseek', 128_000, 0.28, 0.42, 0.028, false),
};

const STRONG = ['claude-sonnet-4-5', 'gpt-5', 'gemini-2.5-pro', 'deepseek-chat'];

export const DEFAULT_ROUTING: RoutingSettings = {
  strategic: STRONG,
  tactical: { cheap: ['gpt-4o-mini', 'gemini-2.5-flash', 'deepseek-chat', 'claude-haiku-4-5'], strong: STRONG },
  strongest: ['claude-opus-4-1', ...STRONG],
  roles: {},
  phases: {},
  complexityThreshold: 0.3,
  hardStopKeywords: [
    'security',
    'auth',
    'authentication',
    'authorization',
    'migration',
    'schema',
    'payment',
    'infra',
    'infrastructure',
    'credential',
    'encryption',
  ],
};

/** The provider's name for a registry model. */
export function providerModelName(id: string, model: ModelEntry): string {
  return model.model ?? id;
}

/** Tokens a prompt for this model may take: three quarters of its window, at most 120,000 unless configured. */
export function promptBudgetOf(model: ModelEntry): number {
  return model.promptBudgetTokens ?? Math.min(Math.floor(model.contextWindow * 0.75), 120_000);
}

/** The task queue whose workers make this model's calls: its limits are the model's limits. */
export function modelTaskQueue(id: string): string {
  return `maestro-model-${id.replace(/[^\w.-]/g, '_')}`;
}
