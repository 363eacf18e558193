import type { z } from 'zod';
import { MaestroConfig } from './config.js';
import { ENV_KEYS, unknownEnvWarnings } from './config-env.js';
import { modelsWarnings } from './config-models.js';

/**
 * Where the configuration comes together: the file and the environment merged, validated by the
 * schema, and each problem told with the variable or the file key to fix.
 */

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
    markOrigins(file.content as Record<string, unknown>, [], (key) =>
      origins.set(key, { kind: 'file', name: file.name }),
    );
  }

  for (const { env: name, path, parse } of ENV_KEYS) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    setAt(raw, path, parse(value));
    origins.set(path.join('.'), { kind: 'env', name });
  }

  const warnings = unknownEnvWarnings(env);

  const parsed = MaestroConfig.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => describeIssue(issue, origins, file?.name)));
  }
  warnings.push(...modelsWarnings(parsed.data.models));
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
