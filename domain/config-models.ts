import { z } from 'zod';
import {
  DEFAULT_PROVIDERS,
  DEFAULT_REGISTRY,
  DEFAULT_ROUTING,
  PROVIDER_KINDS,
  type ModelEntry,
  type ProviderSettings,
  type RoutingSettings,
} from './models.js';
import { PHASE_NAMES } from './phases.js';

/**
 * The `models` section of the configuration: the providers, the model registry and the routing,
 * each the built-in defaults merged with the shorthand endpoint and the file's entries, and checked
 * against each other (a routed model must be registered, a model's provider must exist).
 */

const HttpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL, like http://127.0.0.1:11434/v1' });
const EnvName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name, like OPENAI_API_KEY');
const PricePerMillion = z
  .number()
  .min(0, 'a price cannot be negative')
  .max(10_000, 'at most $10,000 per million tokens');
/** A model id, as the registry, the routing and the council name it. */
export const ModelId = z.string().regex(/^[\w.:/@-]{1,120}$/, 'a model id: letters, digits and . : / @ - _');
const ModelIdList = z.array(ModelId).min(1, 'name at least one model');

const ProviderFields = z.strictObject({
  kind: z.enum(PROVIDER_KINDS, { error: () => `kind is one of ${PROVIDER_KINDS.join(', ')}` }),
  baseUrl: HttpUrl.optional(),
  apiKeyEnv: EnvName.optional(),
});
const ProviderSettingsSchema = ProviderFields.refine(
  (provider) => provider.kind !== 'openai-compatible' || provider.baseUrl,
  { message: 'an openai-compatible provider needs its baseUrl', path: ['baseUrl'] },
);

const ModelFields = z.strictObject({
  provider: z.string().min(1),
  model: z.string().min(1).optional(),
  contextWindow: z.int().min(1_024, 'a context window of at least 1024 tokens'),
  inputPerMillion: PricePerMillion,
  outputPerMillion: PricePerMillion,
  cachedInputPerMillion: PricePerMillion.optional(),
  toolCalling: z.boolean(),
  maxConcurrent: z.int().min(1).max(1_000),
  requestsPerMinute: z.number().positive().optional(),
  // Prompts travel through Temporal (the model gateway), whose payloads stop at 2 MB.
  promptBudgetTokens: z
    .int()
    .min(1_000)
    .max(400_000, 'at most 400,000 tokens: prompts travel through Temporal, whose payloads stop at 2 MB')
    .optional(),
  maxOutputTokens: z.int().min(256).max(200_000).optional(),
});
const ModelEntrySchema = ModelFields.refine(
  (model) => model.promptBudgetTokens === undefined || model.promptBudgetTokens <= model.contextWindow,
  { message: 'promptBudgetTokens must fit the contextWindow', path: ['promptBudgetTokens'] },
);

const Preferences = z.strictObject({ cheap: ModelIdList.optional(), strong: ModelIdList.optional() });

const RoutingOverride = z.strictObject({
  strategic: ModelIdList.optional(),
  tactical: z.strictObject({ cheap: ModelIdList.optional(), strong: ModelIdList.optional() }).optional(),
  strongest: ModelIdList.optional(),
  roles: z.strictObject({ tester: Preferences.optional(), developer: Preferences.optional() }).optional(),
  phases: z.partialRecord(z.enum(PHASE_NAMES), Preferences).optional(),
  complexityThreshold: z.number().min(0).max(1).optional(),
  hardStopKeywords: z.array(z.string().trim().min(2)).optional(),
});

/** A model named by the shorthand (`MAESTRO_MODEL`) that the registry does not know: priced at zero until configured. */
const UNKNOWN_MODEL: Omit<ModelEntry, 'provider'> = {
  contextWindow: 128_000,
  inputPerMillion: 0,
  outputPerMillion: 0,
  toolCalling: true,
  maxConcurrent: 4,
};

/** The `models` section, resolved: defaults, the shorthand and the file merged (see resolveModels). */
export const ModelsSettings = z
  .strictObject({
    /** Shorthand for one OpenAI-compatible endpoint (Ollama, llama.cpp, vLLM, OpenRouter...) that does everything. */
    baseUrl: HttpUrl.optional(),
    /** Shorthand: the one model every role and phase uses (a registry id, or the endpoint's name for it). */
    model: z.string().min(1).optional(),
    /** The environment variable that holds the shorthand endpoint's key (keys never go in files). */
    apiKeyEnv: EnvName.optional(),
    /** Set by `npm start` when it plays the agents with its scripted model (the offline demo). */
    demo: z.boolean().default(false),
    maxSteps: z.int().min(1).max(200).default(30),
    /** One HTTP call to a model, at most. */
    callTimeoutMs: z.int().min(1_000).default(180_000),
    /** A provider failing this many calls in a row is skipped for the cool-down; its work goes to the fallback. */
    circuit: z
      .strictObject({ failureThreshold: z.int().min(1).default(5), cooldownMs: z.int().min(1_000).default(60_000) })
      .prefault({}),
    providers: z
      .record(z.string().regex(/^[\w-]{1,40}$/, 'a provider id: letters, digits, - and _'), ProviderFields.partial())
      .default({}),
    registry: z.record(ModelId, ModelFields.partial()).default({}),
    routing: RoutingOverride.default({}),
  })
  .prefault({})
  .transform((settings, ctx) => {
    const resolved = resolveModels(settings);
    for (const problem of resolved.problems)
      ctx.issues.push({ code: 'custom', message: problem.message, path: problem.path, input: settings });
    return { ...settings, providers: resolved.providers, registry: resolved.registry, routing: resolved.routing };
  });

/** Defaults, the shorthand and the file's entries, merged and checked against each other. */
function resolveModels(settings: z.output<typeof ModelsSettings.in>) {
  const problems: Array<{ path: string[]; message: string }> = [];
  const providers: Record<string, ProviderSettings> = structuredClone(DEFAULT_PROVIDERS);
  const registry: Record<string, ModelEntry> = structuredClone(DEFAULT_REGISTRY);
  let routing: RoutingSettings = structuredClone(DEFAULT_ROUTING);

  // The shorthand: one endpoint (and one model, `gpt-4o-mini` unless named) for everything.
  const shorthand = settings.model ?? (settings.baseUrl ? 'gpt-4o-mini' : undefined);
  if (settings.baseUrl) {
    providers.custom = { kind: 'openai-compatible', baseUrl: settings.baseUrl, apiKeyEnv: settings.apiKeyEnv };
    // Another endpoint's prices are unknown (a local one costs nothing): zero unless the file says.
    registry[shorthand!] = {
      ...UNKNOWN_MODEL,
      ...registry[shorthand!],
      provider: 'custom',
      inputPerMillion: 0,
      outputPerMillion: 0,
      cachedInputPerMillion: 0,
    };
  }
  if (shorthand && !registry[shorthand] && !settings.registry[shorthand]) {
    problems.push({
      path: ['model'],
      message: `${shorthand} is not in the model registry: add it to models.registry, or give models.baseUrl for an endpoint that serves it`,
    });
  } else if (shorthand) {
    const only = [shorthand];
    routing = { ...routing, strategic: only, tactical: { cheap: only, strong: only }, strongest: only };
  }

  for (const [id, override] of Object.entries(settings.providers)) {
    const merged = { ...providers[id], ...stripUndefined(override) };
    const parsed = ProviderSettingsSchema.safeParse(merged);
    if (!parsed.success)
      problems.push(
        ...parsed.error.issues.map((issue) => ({
          path: ['providers', id, ...issue.path.map(String)],
          message: issue.message,
        })),
      );
    else providers[id] = parsed.data;
  }
  for (const [id, override] of Object.entries(settings.registry)) {
    const merged = { ...registry[id], ...stripUndefined(override) };
    const parsed = ModelEntrySchema.safeParse(merged);
    if (!parsed.success) {
      problems.push(
        ...parsed.error.issues.map((issue) => ({
          path: ['registry', id, ...issue.path.map(String)],
          message: registry[id]
            ? issue.message
            : `${issue.message} (a new model needs provider, contextWindow, inputPerMillion, outputPerMillion, toolCalling and maxConcurrent)`,
        })),
      );
    } else registry[id] = parsed.data;
  }
  for (const [id, model] of Object.entries(registry)) {
    if (!providers[model.provider])
      problems.push({
        path: ['registry', id, 'provider'],
        message: `unknown provider ${model.provider}; the providers are ${Object.keys(providers).join(', ')}`,
      });
  }

  const override = settings.routing;
  routing = {
    strategic: override.strategic ?? routing.strategic,
    tactical: {
      cheap: override.tactical?.cheap ?? routing.tactical.cheap,
      strong: override.tactical?.strong ?? routing.tactical.strong,
    },
    strongest: override.strongest ?? routing.strongest,
    roles: { ...routing.roles, ...override.roles },
    phases: { ...routing.phases, ...override.phases },
    complexityThreshold: override.complexityThreshold ?? routing.complexityThreshold,
    hardStopKeywords: override.hardStopKeywords ?? routing.hardStopKeywords,
  };
  const lists: Array<[string[], string[]]> = [
    [['routing', 'strategic'], routing.strategic],
    [['routing', 'tactical', 'cheap'], routing.tactical.cheap],
    [['routing', 'tactical', 'strong'], routing.tactical.strong],
    [['routing', 'strongest'], routing.strongest],
    ...Object.entries(routing.roles).flatMap(([role, preferences]) =>
      Object.entries(preferences ?? {}).map(([level, ids]): [string[], string[]] => [
        ['routing', 'roles', role, level],
        ids ?? [],
      ]),
    ),
    ...Object.entries(routing.phases).flatMap(([phase, preferences]) =>
      Object.entries(preferences ?? {}).map(([level, ids]): [string[], string[]] => [
        ['routing', 'phases', phase, level],
        ids ?? [],
      ]),
    ),
  ];
  for (const [path, ids] of lists) {
    for (const id of ids)
      if (!registry[id]) problems.push({ path, message: `${id} is not in the model registry (models.registry)` });
  }
  return { providers, registry, routing, problems };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as Partial<T>;
}

export type ModelsConfig = z.output<typeof ModelsSettings>;

/** What is valid but likely not meant: a shorthand endpoint whose calls would be recorded at $0. */
export function modelsWarnings(models: ModelsConfig): string[] {
  const warnings: string[] = [];
  if (models.baseUrl) {
    const id = models.routing.strategic[0]!;
    const entry = models.registry[id]!;
    if (entry.provider === 'custom' && entry.inputPerMillion === 0 && entry.outputPerMillion === 0) {
      warnings.push(
        `${id} at ${models.baseUrl} has no prices: its calls are recorded at $0 and budgets never trip (set models.registry["${id}"].inputPerMillion and outputPerMillion)`,
      );
    }
  }
  return warnings;
}
