import { SECRET_ENV_NAME } from './redact.js';

/**
 * An environment for a program Maestro starts but does not trust with its secrets (PostgreSQL,
 * Temporal, the Go toolchain): everything but the named secrets and what looks like one.
 */
export function withoutSecrets(env: NodeJS.ProcessEnv, secretNames: Iterable<string> = []): Record<string, string> {
  const secret = new Set(secretNames);
  const clean: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || secret.has(name) || SECRET_ENV_NAME.test(name)) continue;
    clean[name] = value;
  }
  return clean;
}

/**
 * The environment commands (and git) get: the worker's, without Maestro's own settings and without
 * any secret: a project's tests and hooks never see the keys Maestro holds.
 */
export function commandEnvironment(env: NodeJS.ProcessEnv, alsoSecret: Iterable<string> = []): Record<string, string> {
  const clean = Object.fromEntries(
    Object.entries(withoutSecrets(env, alsoSecret)).filter(
      ([name]) => !/^(MAESTRO_|TEMPORAL_|AWS_|GOOGLE_|AZURE_)/.test(name) && name !== 'NODE_OPTIONS',
    ),
  );
  return { ...clean, CI: '1', FORCE_COLOR: '0', NO_COLOR: '1' };
}
