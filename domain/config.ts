import { z } from 'zod';
import { budgetLimitsProblem } from './budget.js';
import { COUNCIL_STRATEGIES } from './escalation.js';
import { DEFAULT_PROVIDERS, DEFAULT_REGISTRY, DEFAULT_ROUTING, PROVIDER_KINDS, type ModelEntry, type ProviderSettings, type RoutingSettings } from './models.js';
import { PHASE_NAMES } from './phases.js';
import { QUEUE_NAMES, parseQueueGroups } from './queues.js';

/**
 * The one configuration schema of Maestro. Values come from an optional `maestro.config.json` and
 * from environment variables (which win). Everything else reads the parsed object, never the env.
 */

const Port = z.int('expected a whole port number').min(1, 'ports start at 1').max(65535, 'ports end at 65535');
const Host = z.string().min(1, 'must not be empty');
const HostPort = z
  .string()
  .regex(/^([^\s:[\]]+|\[[0-9a-fA-F:]+\]):\d{1,5}$/, 'expected host:port, for example temporal.example.com:7233')
  .refine((value) => Number(value.slice(value.lastIndexOf(':') + 1)) <= 65535, 'the port ends at 65535');
const PostgresUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\/\S+$/, 'expected a postgresql:// URL, for example postgresql://user:password@host:5432/maestro');
export const AUTH_MODES = ['auto', 'required'] as const;
/** The supervisor's own credential for its calls to the API it started; never in a file. */
export const STACK_TOKEN_ENV = 'MAESTRO_STACK_TOKEN';

export const LogLevel = z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);
export type LogLevel = z.infer<typeof LogLevel>;

const ActivityQueueSettings = (maxConcurrentActivities: number) =>
  z
    .strictObject({
      maxConcurrentActivities: z.int().min(1).default(maxConcurrentActivities),
      maxActivitiesPerSecond: z.number().positive().optional(),
    })
    .prefault({});

const WorkflowQueueSettings = z
  .strictObject({
    maxConcurrentWorkflowTasks: z.int().min(1).default(40),
    maxCachedWorkflows: z.int().min(0).default(1000),
    maxConcurrentLocalActivities: z.int().min(1).default(100),
  })
  .prefault({});

/** A queue name as configuration and flags give it. */
export const QueueName = z.enum(QUEUE_NAMES, { error: (issue) => `unknown queue ${JSON.stringify(issue.input)}; the queues are ${QUEUE_NAMES.join(', ')}` });
export type QueueName = z.infer<typeof QueueName>;

const HttpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL, like http://127.0.0.1:11434/v1' });
const EnvName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name, like OPENAI_API_KEY');
const Usd = z.number('expected an amount in dollars').min(0, 'a budget cannot be negative').max(1_000_000, 'at most $1,000,000');
const PricePerMillion = z.number().min(0, 'a price cannot be negative').max(10_000, 'at most $10,000 per million tokens');
const ModelId = z.string().regex(/^[\w.:/@-]{1,120}$/, 'a model id: letters, digits and . : / @ - _');
const ModelIdList = z.array(ModelId).min(1, 'name at least one model');

const ProviderFields = z.strictObject({
  kind: z.enum(PROVIDER_KINDS, { error: () => `kind is one of ${PROVIDER_KINDS.join(', ')}` }),
  baseUrl: HttpUrl.optional(),
  apiKeyEnv: EnvName.optional(),
});
const ProviderSettingsSchema = ProviderFields.refine((provider) => provider.kind !== 'openai-compatible' || provider.baseUrl, { message: 'an openai-compatible provider needs its baseUrl', path: ['baseUrl'] });

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
  promptBudgetTokens: z.int().min(1_000).max(400_000, 'at most 400,000 tokens: prompts travel through Temporal, whose payloads stop at 2 MB').optional(),
  maxOutputTokens: z.int().min(256).max(200_000).optional(),
});
const ModelEntrySchema = ModelFields.refine((model) => model.promptBudgetTokens === undefined || model.promptBudgetTokens <= model.contextWindow, { message: 'promptBudgetTokens must fit the contextWindow', path: ['promptBudgetTokens'] });

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
const UNKNOWN_MODEL: Omit<ModelEntry, 'provider'> = { contextWindow: 128_000, inputPerMillion: 0, outputPerMillion: 0, toolCalling: true, maxConcurrent: 4 };

const ModelsSettings = z
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
    circuit: z.strictObject({ failureThreshold: z.int().min(1).default(5), cooldownMs: z.int().min(1_000).default(60_000) }).prefault({}),
    providers: z.record(z.string().regex(/^[\w-]{1,40}$/, 'a provider id: letters, digits, - and _'), ProviderFields.partial()).default({}),
    registry: z.record(ModelId, ModelFields.partial()).default({}),
    routing: RoutingOverride.default({}),
  })
  .prefault({})
  .transform((settings, ctx) => {
    const resolved = resolveModels(settings);
    for (const problem of resolved.problems) ctx.issues.push({ code: 'custom', message: problem.message, path: problem.path, input: settings });
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
    registry[shorthand!] = { ...UNKNOWN_MODEL, ...registry[shorthand!], provider: 'custom', inputPerMillion: 0, outputPerMillion: 0, cachedInputPerMillion: 0 };
  }
  if (shorthand && !registry[shorthand] && !settings.registry[shorthand]) {
    problems.push({ path: ['model'], message: `${shorthand} is not in the model registry: add it to models.registry, or give models.baseUrl for an endpoint that serves it` });
  } else if (shorthand) {
    const only = [shorthand];
    routing = { ...routing, strategic: only, tactical: { cheap: only, strong: only }, strongest: only };
  }

  for (const [id, override] of Object.entries(settings.providers)) {
    const merged = { ...providers[id], ...stripUndefined(override) };
    const parsed = ProviderSettingsSchema.safeParse(merged);
    if (!parsed.success) problems.push(...parsed.error.issues.map((issue) => ({ path: ['providers', id, ...issue.path.map(String)], message: issue.message })));
    else providers[id] = parsed.data;
  }
  for (const [id, override] of Object.entries(settings.registry)) {
    const merged = { ...registry[id], ...stripUndefined(override) };
    const parsed = ModelEntrySchema.safeParse(merged);
    if (!parsed.success) {
      problems.push(...parsed.error.issues.map((issue) => ({ path: ['registry', id, ...issue.path.map(String)], message: registry[id] ? issue.message : `${issue.message} (a new model needs provider, contextWindow, inputPerMillion, outputPerMillion, toolCalling and maxConcurrent)` })));
    } else registry[id] = parsed.data;
  }
  for (const [id, model] of Object.entries(registry)) {
    if (!providers[model.provider]) problems.push({ path: ['registry', id, 'provider'], message: `unknown provider ${model.provider}; the providers are ${Object.keys(providers).join(', ')}` });
  }

  const override = settings.routing;
  routing = {
    strategic: override.strategic ?? routing.strategic,
    tactical: { cheap: override.tactical?.cheap ?? routing.tactical.cheap, strong: override.tactical?.strong ?? routing.tactical.strong },
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
    ...Object.entries(routing.roles).flatMap(([role, preferences]) => Object.entries(preferences ?? {}).map(([level, ids]): [string[], string[]] => [['routing', 'roles', role, level], ids ?? []])),
    ...Object.entries(routing.phases).flatMap(([phase, preferences]) => Object.entries(preferences ?? {}).map(([level, ids]): [string[], string[]] => [['routing', 'phases', phase, level], ids ?? []])),
  ];
  for (const [path, ids] of lists) {
    for (const id of ids) if (!registry[id]) problems.push({ path, message: `${id} is not in the model registry (models.registry)` });
  }
  return { providers, registry, routing, problems };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as Partial<T>;
}

/** One shared process keeps the embedded default light; one process per queue is how a cluster scales. */
export const DEFAULT_WORKER_PROCESSES: QueueName[][] = [['workflows', 'orchestrator', 'tester', 'developer', 'runner', 'council', 'models']];

export const MaestroConfig = z
  .strictObject({
    dataDir: z.string().min(1).default('.maestro/data'),
    binDir: z.string().min(1).default('.maestro/bin'),
    logLevel: LogLevel.default('info'),
    temporal: z
      .strictObject({
        address: HostPort.optional(),
        namespace: z
          .string()
          .regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]{1,254}$/, 'letters, digits, dot, dash and underscore only')
          .default('maestro'),
        cliPath: z.string().min(1).optional(),
        host: Host.default('127.0.0.1'),
        port: Port.default(7233),
        uiPort: Port.default(8233),
        httpPort: Port.default(7243),
        ui: z.boolean().default(true),
        /** Where people open the Temporal UI of a cluster given by `address`. */
        uiUrl: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
      })
      .prefault({}),
    database: z
      .strictObject({
        url: PostgresUrl.optional(),
        port: Port.default(55432),
      })
      .prefault({}),
    api: z
      .strictObject({
        host: Host.default('127.0.0.1'),
        port: Port.default(4800),
        /**
         * `auto`: a request without credentials acts as the local admin while the API listens on a
         * loopback address, and must sign in otherwise; `required`: every request must sign in.
         */
        auth: z.enum(AUTH_MODES, { error: () => `auth is one of ${AUTH_MODES.join(', ')}` }).default('auto'),
      })
      .prefault({}),
    models: ModelsSettings,
    budgets: z
      .strictObject({
        softUsd: Usd.default(20),
        hardUsd: Usd.default(50),
        emergencyUsd: Usd.default(100),
        /** What councils may spend in a day (UTC), all projects together. */
        councilDailyUsd: Usd.default(5),
      })
      .prefault({})
      .superRefine((limits, ctx) => {
        const problem = budgetLimitsProblem(limits);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
    escalation: z
      .strictObject({
        strategicReview: z.boolean().default(true),
        reviewAttempts: z.int().min(1).max(5).default(1),
        council: z
          .strictObject({
            enabled: z.boolean().default(true),
            members: z.array(ModelId).default([]),
            size: z.int().min(2, 'a council has at least two members').max(6).default(3),
            strategy: z.enum(COUNCIL_STRATEGIES, { error: () => `strategy is one of ${COUNCIL_STRATEGIES.join(', ')}` }).default('test_winner'),
            judge: z.array(ModelId).default([]),
            memberTimeoutMs: z.int().min(5_000).default(10 * 60_000),
            maxCostUsd: Usd.default(2),
          })
          .prefault({}),
        reminderMs: z.int().refine((ms) => ms === 0 || ms >= 5_000, 'reminderMs is 0 (no reminders) or at least 5000 (5 seconds)').default(4 * 60 * 60_000),
        phases: z.partialRecord(z.enum(PHASE_NAMES), z.strictObject({ strategicReview: z.boolean().optional(), council: z.boolean().optional() })).default({}),
      })
      .prefault({}),
    commands: z
      .strictObject({
        silenceWarningMs: z.int().min(100).default(30_000),
        silenceKillMs: z.int().min(100).default(60_000),
        maxDurationMs: z.int().min(1_000).default(30 * 60_000),
      })
      .prefault({}),
    subtasks: z
      .strictObject({
        maxAttempts: z.int().min(1).max(20).default(3),
        retryBackoffMs: z.int().min(0).default(2_000),
        retryBackoffMaxMs: z.int().min(0).default(60_000),
        heartbeatTimeoutMs: z.int().min(1_000).default(30_000),
      })
      .prefault({}),
    workers: z
      .strictObject({
        processes: z
          .array(z.array(QueueName).min(1, 'a worker process needs at least one queue'))
          .min(1)
          .default(DEFAULT_WORKER_PROCESSES)
          .superRefine((groups, ctx) => {
            const hosted = new Set(groups.flat());
            const missing = QUEUE_NAMES.filter((queue) => !hosted.has(queue));
            if (missing.length > 0) {
              ctx.addIssue({
                code: 'custom',
                message: `every queue needs a worker process; add ${missing.join(', ')} to a group`,
              });
            }
          }),
        queues: z
          .strictObject({
            workflows: WorkflowQueueSettings,
            orchestrator: ActivityQueueSettings(20),
            tester: ActivityQueueSettings(4),
            developer: ActivityQueueSettings(4),
            runner: ActivityQueueSettings(2),
            council: ActivityQueueSettings(6),
          })
          .prefault({}),
        shutdownGraceMs: z.int().min(0).default(30_000),
      })
      .prefault({}),
  })
  .superRefine((config, ctx) => {
    const used = new Map<number, string>();
    const claim = (port: number, path: string[]) => {
      const other = used.get(port);
      if (other) {
        ctx.addIssue({ code: 'custom', path, message: `port ${port} is also used by ${other}; pick another` });
      } else {
        used.set(port, path.join('.'));
      }
    };
    claim(config.api.port, ['api', 'port']);
    if (!config.temporal.address) {
      claim(config.temporal.port, ['temporal', 'port']);
      claim(config.temporal.httpPort, ['temporal', 'httpPort']);
      if (config.temporal.ui) claim(config.temporal.uiPort, ['temporal', 'uiPort']);
    }
    if (!config.database.url) claim(config.database.port, ['database', 'port']);
    for (const [key, ids] of [['members', config.escalation.council.members], ['judge', config.escalation.council.judge]] as const) {
      for (const id of ids) {
        if (!config.models.registry[id]) ctx.addIssue({ code: 'custom', path: ['escalation', 'council', key], message: `${id} is not in the model registry (models.registry)` });
      }
    }
  });
export type MaestroConfig = z.infer<typeof MaestroConfig>;

type EnvParser = (value: string) => unknown;
const asNumber: EnvParser = (value) => (/^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value);
const asBoolean: EnvParser = (value) =>
  /^(1|true|yes|on)$/i.test(value) ? true : /^(0|false|no|off)$/i.test(value) ? false : value;
const asString: EnvParser = (value) => value;

/** Every environment variable Maestro reads, and the configuration key it sets. */
export const ENV_KEYS: ReadonlyArray<{ env: string; path: string[]; parse: EnvParser }> = [
  { env: 'MAESTRO_DATA_DIR', path: ['dataDir'], parse: asString },
  { env: 'MAESTRO_BIN_DIR', path: ['binDir'], parse: asString },
  { env: 'MAESTRO_LOG_LEVEL', path: ['logLevel'], parse: asString },
  { env: 'TEMPORAL_ADDRESS', path: ['temporal', 'address'], parse: asString },
  { env: 'TEMPORAL_NAMESPACE', path: ['temporal', 'namespace'], parse: asString },
  { env: 'TEMPORAL_CLI_PATH', path: ['temporal', 'cliPath'], parse: asString },
  { env: 'MAESTRO_TEMPORAL_HOST', path: ['temporal', 'host'], parse: asString },
  { env: 'MAESTRO_TEMPORAL_PORT', path: ['temporal', 'port'], parse: asNumber },
  { env: 'MAESTRO_TEMPORAL_UI_PORT', path: ['temporal', 'uiPort'], parse: asNumber },
  { env: 'MAESTRO_TEMPORAL_HTTP_PORT', path: ['temporal', 'httpPort'], parse: asNumber },
  { env: 'MAESTRO_TEMPORAL_UI', path: ['temporal', 'ui'], parse: asBoolean },
  { env: 'MAESTRO_TEMPORAL_UI_URL', path: ['temporal', 'uiUrl'], parse: asString },
  { env: 'DATABASE_URL', path: ['database', 'url'], parse: asString },
  { env: 'MAESTRO_POSTGRES_PORT', path: ['database', 'port'], parse: asNumber },
  { env: 'MAESTRO_API_HOST', path: ['api', 'host'], parse: asString },
  { env: 'MAESTRO_API_PORT', path: ['api', 'port'], parse: asNumber },
  { env: 'MAESTRO_AUTH', path: ['api', 'auth'], parse: asString },
  { env: 'MAESTRO_WORKER_PROCESSES', path: ['workers', 'processes'], parse: parseQueueGroups },
  { env: 'MAESTRO_SHUTDOWN_GRACE_MS', path: ['workers', 'shutdownGraceMs'], parse: asNumber },
  { env: 'MAESTRO_MODEL_BASE_URL', path: ['models', 'baseUrl'], parse: asString },
  { env: 'MAESTRO_MODEL', path: ['models', 'model'], parse: asString },
  { env: 'MAESTRO_MODEL_API_KEY_ENV', path: ['models', 'apiKeyEnv'], parse: asString },
  { env: 'MAESTRO_MODEL_DEMO', path: ['models', 'demo'], parse: asBoolean },
  { env: 'MAESTRO_AGENT_MAX_STEPS', path: ['models', 'maxSteps'], parse: asNumber },
  { env: 'MAESTRO_MODEL_CALL_TIMEOUT_MS', path: ['models', 'callTimeoutMs'], parse: asNumber },
  { env: 'MAESTRO_BUDGET_SOFT_USD', path: ['budgets', 'softUsd'], parse: asNumber },
  { env: 'MAESTRO_BUDGET_HARD_USD', path: ['budgets', 'hardUsd'], parse: asNumber },
  { env: 'MAESTRO_BUDGET_EMERGENCY_USD', path: ['budgets', 'emergencyUsd'], parse: asNumber },
  { env: 'MAESTRO_COUNCIL_DAILY_BUDGET_USD', path: ['budgets', 'councilDailyUsd'], parse: asNumber },
  { env: 'MAESTRO_COUNCIL', path: ['escalation', 'council', 'enabled'], parse: asBoolean },
  { env: 'MAESTRO_COUNCIL_STRATEGY', path: ['escalation', 'council', 'strategy'], parse: asString },
  { env: 'MAESTRO_COUNCIL_MEMBER_TIMEOUT_MS', path: ['escalation', 'council', 'memberTimeoutMs'], parse: asNumber },
  { env: 'MAESTRO_STRATEGIC_REVIEW', path: ['escalation', 'strategicReview'], parse: asBoolean },
  { env: 'MAESTRO_ESCALATION_REMINDER_MS', path: ['escalation', 'reminderMs'], parse: asNumber },
  { env: 'MAESTRO_COMMAND_SILENCE_WARNING_MS', path: ['commands', 'silenceWarningMs'], parse: asNumber },
  { env: 'MAESTRO_COMMAND_SILENCE_KILL_MS', path: ['commands', 'silenceKillMs'], parse: asNumber },
  { env: 'MAESTRO_COMMAND_MAX_MS', path: ['commands', 'maxDurationMs'], parse: asNumber },
  { env: 'MAESTRO_MAX_ATTEMPTS', path: ['subtasks', 'maxAttempts'], parse: asNumber },
  { env: 'MAESTRO_RETRY_BACKOFF_MS', path: ['subtasks', 'retryBackoffMs'], parse: asNumber },
  { env: 'MAESTRO_HEARTBEAT_TIMEOUT_MS', path: ['subtasks', 'heartbeatTimeoutMs'], parse: asNumber },
];

/** Variables that are read elsewhere on purpose and must not be reported as unknown. */
const OTHER_KNOWN_ENV = new Set(['MAESTRO_CONFIG', STACK_TOKEN_ENV]);

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid Maestro configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface ConfigSources {
  env: Record<string, string | undefined>;
  /** The parsed JSON of maestro.config.json, if there is one, and the name to show in errors. */
  file?: { name: string; content: unknown };
}

export interface ResolvedConfig {
  config: MaestroConfig;
  warnings: string[];
}

/** Where a value came from: an environment variable, or a key of the config file. */
type Origin = { kind: 'env'; name: string } | { kind: 'file'; name: string };

/**
 * Merges the file and the environment, validates the result and says, per problem, which variable
 * or file key to fix. Pure: the caller reads the file and resolves relative paths.
 */
export function resolveConfig({ env, file }: ConfigSources): ResolvedConfig {
  const origins = new Map<string, Origin>();
  const raw: Record<string, unknown> = {};

  if (file !== undefined) {
    if (typeof file.content !== 'object' || file.content === null || Array.isArray(file.content)) {
      throw new ConfigError([`${file.name}: expected a JSON object at the top level`]);
    }
    Object.assign(raw, structuredClone(file.content));
    markOrigins(file.content as Record<string, unknown>, [], (key) => origins.set(key, { kind: 'file', name: file.name }));
  }

  for (const { env: name, path, parse } of ENV_KEYS) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    setAt(raw, path, parse(value));
    origins.set(path.join('.'), { kind: 'env', name });
  }

  const warnings = Object.keys(env)
    .filter((name) => name.startsWith('MAESTRO_') && !OTHER_KNOWN_ENV.has(name))
    .filter((name) => !ENV_KEYS.some((key) => key.env === name))
    .map((name) => `${name} is not a Maestro setting and is ignored (known: ${ENV_KEYS.map((k) => k.env).join(', ')})`);

  const parsed = MaestroConfig.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => describeIssue(issue, origins, file?.name)));
  }
  const { models } = parsed.data;
  if (models.baseUrl) {
    const id = models.routing.strategic[0]!;
    const entry = models.registry[id]!;
    if (entry.provider === 'custom' && entry.inputPerMillion === 0 && entry.outputPerMillion === 0) {
      warnings.push(`${id} at ${models.baseUrl} has no prices: its calls are recorded at $0 and budgets never trip (set models.registry["${id}"].inputPerMillion and outputPerMillion)`);
    }
  }
  return { config: parsed.data, warnings };
}

function describeIssue(issue: z.core.$ZodIssue, origins: Map<string, Origin>, fileName = 'configuration'): string {
  const key = issue.path.join('.');
  if (issue.code === 'unrecognized_keys') {
    const names = issue.keys.map((name) => `"${key ? `${key}.` : ''}${name}"`).join(', ');
    return `${fileName}: unknown key${issue.keys.length > 1 ? 's' : ''} ${names}; remove or correct ${issue.keys.length > 1 ? 'them' : 'it'}`;
  }
  const origin = nearestOrigin(issue.path.map(String), origins);
  if (origin?.kind === 'env') return `${origin.name} (${key}): ${issue.message}`;
  if (origin?.kind === 'file') return `${origin.name}: ${key}: ${issue.message}`;
  return `${key || 'configuration'}: ${issue.message}`;
}

function nearestOrigin(path: string[], origins: Map<string, Origin>): Origin | undefined {
  for (let parts = path; parts.length > 0; parts = parts.slice(0, -1)) {
    const origin = origins.get(parts.join('.'));
    if (origin) return origin;
  }
  return undefined;
}

function markOrigins(value: Record<string, unknown>, prefix: string[], mark: (key: string) => void) {
  for (const [key, child] of Object.entries(value)) {
    const path = [...prefix, key];
    mark(path.join('.'));
    if (typeof child === 'object' && child !== null && !Array.isArray(child)) {
      markOrigins(child as Record<string, unknown>, path, mark);
    }
  }
}

function setAt(target: Record<string, unknown>, path: readonly string[], value: unknown) {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}
