import { z } from 'zod';

/**
 * How Maestro runs a project's commands (install, tests, an agent's run_tests): in a bubblewrap
 * sandbox, and what to do where there is none. `required`: refuse to run a command without it;
 * `optional` (the default): sandbox when bubblewrap works, otherwise run unsandboxed and say so at
 * every start and in every command's log; `off`: never sandbox.
 */
export const SANDBOX_MODES = ['required', 'optional', 'off'] as const;
export const SandboxMode = z.enum(SANDBOX_MODES, {
  error: (issue) =>
    `sandbox is one of ${SANDBOX_MODES.join(', ')} (got ${JSON.stringify(issue.input)}): required refuses to run a command unsandboxed, optional runs it unsandboxed where bubblewrap is missing, off never sandboxes`,
});
export type SandboxMode = z.infer<typeof SandboxMode>;

/** Which of a project's commands may use the network: none, only the install command, or all of them. */
export const SANDBOX_NETWORK = ['none', 'install', 'all'] as const;
export const ProjectSandbox = z.strictObject({
  network: z
    .enum(SANDBOX_NETWORK, {
      error: (issue) =>
        `sandbox.network is one of ${SANDBOX_NETWORK.join(', ')} (got ${JSON.stringify(issue.input)}): install gives only the install command the network`,
    })
    .default('none'),
});
export type ProjectSandbox = z.output<typeof ProjectSandbox>;

/** What a command is for: the install command, or a test suite (also the agent's run_tests). */
export type CommandPurpose = 'install' | 'test';

export function networkAllowed(sandbox: ProjectSandbox, purpose: CommandPurpose): boolean {
  return sandbox.network === 'all' || (sandbox.network === 'install' && purpose === 'install');
}
