import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { type CommandPurpose, networkAllowed } from '../../domain/sandbox.js';
import { projectSandboxOf } from '../../data/projects.js';
import type { PrismaClient } from '../../data/prisma.js';
import type { LoadedConfig } from '../../runtime/config.js';
import { sandboxSupport } from '../../runtime/sandbox.js';
import type { CommandSandbox } from './run-command.js';

type SandboxConfig = Pick<LoadedConfig, 'sandbox' | 'dataDir'> & Partial<Pick<LoadedConfig, 'configFile'>>;

/**
 * Where a project's command runs: in the sandbox, with the network when the project allows it for
 * this purpose, with the project's cache folder as HOME (kept between its commands) and Maestro's
 * config file hidden; unsandboxed only when Maestro's setting says it may (and the log says so);
 * refused when the sandbox is required and this machine cannot make one.
 */
export function commandSandbox(config: SandboxConfig, network: boolean, projectId?: string): CommandSandbox {
  const support = sandboxSupport(config.sandbox);
  if (support.commands === 'bwrap')
    return {
      kind: 'bwrap',
      bwrap: support.bwrap!,
      dataDir: config.dataDir,
      network,
      ...(projectId ? { cacheDir: projectCacheDir(config.dataDir, projectId) } : {}),
      hiddenFiles: maestroConfigFiles(config),
    };
  if (support.commands === 'none') return { kind: 'none', reason: support.summary };
  throw ApplicationFailure.nonRetryable(
    `${support.problem}: project commands must run in a sandbox (MAESTRO_SANDBOX=required). Install bubblewrap, or set MAESTRO_SANDBOX=optional to run them unsandboxed`,
    'SandboxUnavailable',
  );
}

/** A project's folder kept between its commands: `<dataDir>/cache/<project>`. */
export function projectCacheDir(dataDir: string, projectId: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(projectId))
    throw new Error(`not a project id: ${JSON.stringify(projectId)}`);
  return path.join(dataDir, 'cache', projectId);
}

/** The config file Maestro read, and the one it would read in its working folder: either may hold the database's password. */
function maestroConfigFiles(config: SandboxConfig): string[] {
  const files = [config.configFile, path.join(process.cwd(), 'maestro.config.json')];
  return [...new Set(files.filter((file): file is string => Boolean(file)))];
}

/** The sandbox for one of a project's commands, by its stored setting (which commands get the network). */
export async function projectCommandSandbox(
  deps: { config: SandboxConfig; prisma: PrismaClient },
  projectId: string,
  purpose: CommandPurpose,
): Promise<CommandSandbox> {
  const setting = await projectSandboxOf(deps.prisma, projectId);
  return commandSandbox(deps.config, networkAllowed(setting, purpose), projectId);
}

/** What to add to a failed install's message when the sandbox gave it no network. */
export function noNetworkHint(sandbox: CommandSandbox): string {
  return sandbox.kind === 'bwrap' && !sandbox.network
    ? " (it ran in the sandbox without network: if it downloads, set the project's sandbox.network to install)"
    : '';
}
