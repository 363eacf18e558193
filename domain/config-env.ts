import { parseQueueGroups } from './queues.js';

/**
 * The environment variables Maestro reads: which configuration key each one sets and how its text
 * becomes a value. The schema (config.ts) then validates what they give.
 */

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
  { env: 'MAESTRO_DEMO_MODEL_PORT', path: ['demoModel', 'port'], parse: asNumber },
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
  { env: 'MAESTRO_CLONE_TIMEOUT_MS', path: ['repositories', 'cloneTimeoutMs'], parse: asNumber },
  { env: 'MAESTRO_SANDBOX', path: ['sandbox'], parse: asString },
  { env: 'MAESTRO_MAX_ATTEMPTS', path: ['subtasks', 'maxAttempts'], parse: asNumber },
  { env: 'MAESTRO_RETRY_BACKOFF_MS', path: ['subtasks', 'retryBackoffMs'], parse: asNumber },
  { env: 'MAESTRO_HEARTBEAT_TIMEOUT_MS', path: ['subtasks', 'heartbeatTimeoutMs'], parse: asNumber },
];

/** The supervisor's own credential for its calls to the API it started; never in a file. */
export const STACK_TOKEN_ENV = 'MAESTRO_STACK_TOKEN';

/**
 * Given to the API by the supervisor instead of the providers' keys: the names of the key variables
 * that are set, so it can tell which models should be served without holding a key.
 */
export const MODEL_KEYS_SET_ENV = 'MAESTRO_MODEL_KEYS_SET';

/**
 * Variables that are read elsewhere on purpose and must not be reported as unknown: the file's name,
 * the supervisor's credential, and the `maestro` CLI's own settings (which API to call, with which
 * token), often exported in the same shell that runs `npm start`.
 */
const OTHER_KNOWN_ENV = new Set([
  'MAESTRO_CONFIG',
  STACK_TOKEN_ENV,
  MODEL_KEYS_SET_ENV,
  'MAESTRO_API_URL',
  'MAESTRO_TOKEN',
  'MAESTRO_CLI_TIMEOUT',
]);

/** A `MAESTRO_` variable that sets nothing is likely a typo: say so, and which ones exist. */
export function unknownEnvWarnings(env: Record<string, string | undefined>): string[] {
  return Object.keys(env)
    .filter((name) => name.startsWith('MAESTRO_') && !OTHER_KNOWN_ENV.has(name))
    .filter((name) => !ENV_KEYS.some((key) => key.env === name))
    .map((name) => `${name} is not a Maestro setting and is ignored (known: ${ENV_KEYS.map((k) => k.env).join(', ')})`);
}
