import { z } from 'zod';
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

/** One shared process keeps the embedded default light; one process per queue is how a cluster scales. */
export const DEFAULT_WORKER_PROCESSES: QueueName[][] = [['workflows', 'orchestrator', 'tester', 'developer', 'runner', 'council']];

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
    api: z.strictObject({ host: Host.default('127.0.0.1'), port: Port.default(4800) }).prefault({}),
    models: z
      .strictObject({
        /** An OpenAI-compatible endpoint (OpenAI, Ollama, llama.cpp, vLLM, OpenRouter...). */
        baseUrl: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL, like http://127.0.0.1:11434/v1' }).optional(),
        model: z.string().min(1).default('gpt-4o-mini'),
        /** The environment variable that holds the key (keys never go in files). */
        apiKeyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name, like OPENAI_API_KEY').default('OPENAI_API_KEY'),
        /** Set by `npm start` when it plays the agents with its scripted model (the offline demo). */
        demo: z.boolean().default(false),
        maxSteps: z.int().min(1).max(200).default(30),
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
  { env: 'MAESTRO_WORKER_PROCESSES', path: ['workers', 'processes'], parse: parseQueueGroups },
  { env: 'MAESTRO_SHUTDOWN_GRACE_MS', path: ['workers', 'shutdownGraceMs'], parse: asNumber },
  { env: 'MAESTRO_MODEL_BASE_URL', path: ['models', 'baseUrl'], parse: asString },
  { env: 'MAESTRO_MODEL', path: ['models', 'model'], parse: asString },
  { env: 'MAESTRO_MODEL_API_KEY_ENV', path: ['models', 'apiKeyEnv'], parse: asString },
  { env: 'MAESTRO_MODEL_DEMO', path: ['models', 'demo'], parse: asBoolean },
  { env: 'MAESTRO_AGENT_MAX_STEPS', path: ['models', 'maxSteps'], parse: asNumber },
  { env: 'MAESTRO_COMMAND_SILENCE_WARNING_MS', path: ['commands', 'silenceWarningMs'], parse: asNumber },
  { env: 'MAESTRO_COMMAND_SILENCE_KILL_MS', path: ['commands', 'silenceKillMs'], parse: asNumber },
  { env: 'MAESTRO_COMMAND_MAX_MS', path: ['commands', 'maxDurationMs'], parse: asNumber },
  { env: 'MAESTRO_MAX_ATTEMPTS', path: ['subtasks', 'maxAttempts'], parse: asNumber },
  { env: 'MAESTRO_RETRY_BACKOFF_MS', path: ['subtasks', 'retryBackoffMs'], parse: asNumber },
  { env: 'MAESTRO_HEARTBEAT_TIMEOUT_MS', path: ['subtasks', 'heartbeatTimeoutMs'], parse: asNumber },
];

/** Variables that are read elsewhere on purpose and must not be reported as unknown. */
const OTHER_KNOWN_ENV = new Set(['MAESTRO_CONFIG']);

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
