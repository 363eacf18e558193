import { ApplicationFailure } from '@temporalio/activity';
import { type CommandPurpose, networkAllowed } from '../../domain/sandbox.js';
import { projectSandboxOf } from '../../data/projects.js';
import type { PrismaClient } from '../../data/prisma.js';
import type { LoadedConfig } from '../../runtime/config.js';
import { sandboxSupport } from '../../runtime/sandbox.js';
import type { CommandSandbox } from './run-command.js';

/**
 * Where a project's command runs: in the sandbox, with the network when the project allows it for
 * this purpose; unsandboxed only when Maestro's setting says it may (and the log says so); refused
 * when the sandbox is required and this machine cannot make one.
 */
export function commandSandbox(config: Pick<LoadedConfig, 'sandbox' | 'dataDir'>, network: boolean): CommandSandbox {
  const support = sandboxSupport(config.sandbox);
  if (support.commands === 'bwrap') return { kind: 'bwrap', bwrap: support.bwrap!, dataDir: config.dataDir, network };
  if (support.commands === 'none') return { kind: 'none', reason: support.summary };
  throw ApplicationFailure.nonRetryable(
    `${support.problem}: project commands must run in a sandbox (MAESTRO_SANDBOX=required). Install bubblewrap, or set MAESTRO_SANDBOX=optional to run them unsandboxed`,
    'SandboxUnavailable',
  );
}

/** The sandbox for one of a project's commands, by its stored setting (which commands get the network). */
export async function projectCommandSandbox(
  deps: { config: Pick<LoadedConfig, 'sandbox' | 'dataDir'>; prisma: PrismaClient },
  projectId: string,
  purpose: CommandPurpose,
): Promise<CommandSandbox> {
  const setting = await projectSandboxOf(deps.prisma, projectId);
  return commandSandbox(deps.config, networkAllowed(setting, purpose));
}

/** What to add to a failed install's message when the sandbox gave it no network. */
export function noNetworkHint(sandbox: CommandSandbox): string {
  return sandbox.kind === 'bwrap' && !sandbox.network
    ? " (it ran in the sandbox without network: if it downloads, set the project's sandbox.network to install)"
    : '';
}
