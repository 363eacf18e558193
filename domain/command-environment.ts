import { SECRET_ENV_NAME } from './redact.js';

/**
 * The environment commands (and git) get: the worker's, without Maestro's own settings and without
 * anything that looks like a secret: a project's tests and hooks never see the keys Maestro holds.
 */
export function commandEnvironment(env: NodeJS.ProcessEnv, alsoSecret: readonly string[] = []): Record<string, string> {
  const clean: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (
      SECRET_ENV_NAME.test(name) ||
      alsoSecret.includes(name) ||
      /^(MAESTRO_|TEMPORAL_|AWS_|GOOGLE_|AZURE_)/.test(name) ||
      name === 'NODE_OPTIONS'
    )
      continue;
    clean[name] = value;
  }
  return { ...clean, CI: '1', FORCE_COLOR: '0', NO_COLOR: '1' };
}
