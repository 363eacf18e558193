import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { MaestroConfig } from '../domain/config.js';
import { STACK_TOKEN_ENV } from '../domain/config-env.js';
import { ConfigError, resolveConfig } from '../domain/config-resolve.js';
import { hostForUrl } from './ports.js';
import { keepFromChildren } from './child-env.js';
import { secretEnvNames } from '../domain/secret-env.js';

export interface LoadedConfig extends MaestroConfig {
  /** The config file that was read, if any. */
  configFile: string | undefined;
  warnings: string[];
  /** The supervisor's credential for its own calls to the API it started (from MAESTRO_STACK_TOKEN). */
  stackToken: string | undefined;
}

export interface LoadConfigOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
}

/**
 * Reads `maestro.config.json` (or the file named by MAESTRO_CONFIG) and the environment once, and
 * returns the validated configuration with absolute paths. Relative paths in the file are relative
 * to the file; relative paths from the environment or the defaults are relative to `cwd`.
 */
export function loadConfig({ env = process.env, cwd = process.cwd() }: LoadConfigOptions = {}): LoadedConfig {
  const explicit = env.MAESTRO_CONFIG;
  const configFile = explicit ? path.resolve(cwd, explicit) : path.join(cwd, 'maestro.config.json');
  let file: { name: string; content: unknown } | undefined;
  if (existsSync(configFile)) {
    file = { name: path.basename(configFile), content: readJson(configFile) };
    absolutisePaths(file.content, path.dirname(configFile));
  } else if (explicit) {
    throw new ConfigError([`MAESTRO_CONFIG: ${configFile} does not exist; create it or unset MAESTRO_CONFIG`]);
  }

  const { config, warnings } = resolveConfig({ env, file });
  // Whatever this process starts from now on is kept from the keys this configuration names.
  keepFromChildren(secretEnvNames(config.models));
  return {
    ...config,
    dataDir: path.resolve(cwd, config.dataDir),
    binDir: path.resolve(cwd, config.binDir),
    temporal: {
      ...config.temporal,
      cliPath: config.temporal.cliPath === undefined ? undefined : path.resolve(cwd, config.temporal.cliPath),
    },
    configFile: file ? configFile : undefined,
    warnings,
    stackToken: env[STACK_TOKEN_ENV] || undefined,
  };
}

function readJson(file: string): unknown {
  const text = readFileSync(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError([`${path.basename(file)}: not valid JSON (${(error as Error).message}); fix the syntax`]);
  }
}

function absolutisePaths(content: unknown, baseDir: string) {
  if (typeof content !== 'object' || content === null) return;
  const root = content as Record<string, unknown>;
  for (const key of ['dataDir', 'binDir'] as const) {
    if (typeof root[key] === 'string' && root[key] !== '') root[key] = path.resolve(baseDir, root[key]);
  }
  const temporal = root.temporal as Record<string, unknown> | undefined;
  if (typeof temporal?.cliPath === 'string' && temporal.cliPath !== '') {
    temporal.cliPath = path.resolve(baseDir, temporal.cliPath);
  }
}

/** The Temporal frontend to use: the configured cluster, else the embedded dev server. */
export function temporalAddressOf(config: MaestroConfig): string {
  return config.temporal.address ?? `${hostForUrl(config.temporal.host)}:${config.temporal.port}`;
}

/** The Temporal Web UI people can open: the configured one, else the embedded dev server's. */
export function temporalUiUrlOf(config: MaestroConfig): string | undefined {
  if (config.temporal.uiUrl) return config.temporal.uiUrl;
  if (config.temporal.address || !config.temporal.ui) return undefined;
  return `http://${hostForUrl(config.temporal.host)}:${config.temporal.uiPort}`;
}
