import { MODEL_KEYS_SET_ENV, STACK_TOKEN_ENV } from '../domain/config-env.js';
import type { QueueName } from '../domain/queues.js';
import { type SecretEnvSources, modelKeyEnvNames, secretEnvNames } from '../domain/secret-env.js';

/** Which of Maestro's processes an environment is for: the API, or a worker hosting these queues. */
export type StackProcess = { kind: 'api' } | { kind: 'worker'; queues: readonly QueueName[] };

/**
 * What each process of the stack is given of the supervisor's environment: the database's URL for
 * all, the configured providers' keys only for a worker hosting the models queue (the gateway),
 * the supervisor's token only for the API. The API learns which keys are set by their names.
 */
export function processEnvironment(
  env: NodeJS.ProcessEnv,
  models: SecretEnvSources,
  target: StackProcess,
  stackToken: string,
): NodeJS.ProcessEnv {
  const modelKeys = modelKeyEnvNames(models);
  const kept = new Set(['DATABASE_URL']);
  if (target.kind === 'worker' && target.queues.includes('models')) for (const name of modelKeys) kept.add(name);
  const withheld = [...secretEnvNames(models)].filter((name) => !kept.has(name));
  const given = Object.fromEntries(
    Object.entries(env).filter(([name, value]) => value !== undefined && !withheld.includes(name)),
  );
  delete given[MODEL_KEYS_SET_ENV];
  if (target.kind === 'worker') return given;
  const set = modelKeys.filter((name) => env[name]?.trim());
  return { ...given, [STACK_TOKEN_ENV]: stackToken, [MODEL_KEYS_SET_ENV]: set.join(',') };
}
