import { commandEnvironment, withoutSecrets } from '../domain/command-environment.js';

/**
 * The secret variables this process knows of: every configuration it loaded adds its own (see
 * loadConfig), so a child started anywhere in the process is kept from them without being told.
 */
const knownSecretNames = new Set<string>();

export function keepFromChildren(names: Iterable<string>): void {
  for (const name of names) knownSecretNames.add(name);
}

/** For Maestro's own helpers (PostgreSQL, Temporal, migrations): this process's environment without any secret. */
export function helperEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return withoutSecrets(env, knownSecretNames);
}

/** For a project's commands and for git in its repository: no secret, no Maestro setting. */
export function projectCommandEnvironment(
  env: NodeJS.ProcessEnv = process.env,
  alsoSecret: readonly string[] = [],
): Record<string, string> {
  return commandEnvironment(env, [...knownSecretNames, ...alsoSecret]);
}
