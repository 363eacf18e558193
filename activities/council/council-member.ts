import path from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { phaseCommitMessage } from '../../domain/naming.js';
import type { LoadedConfig } from '../../runtime/config.js';
import { changedLines, ensureDetachedWorktree, keepRef, treeOf } from '../../git/git.js';
import type { PrismaClient } from '../../data/prisma.js';
import { modelKeyEnvNames } from '../agents/agent-work.js';
import { type CommandSandbox, runCommand } from '../commands/run-command.js';
import { noNetworkHint, projectCommandSandbox } from '../commands/sandbox.js';
import type { AgentPhaseInput, CouncilMemberRun } from '../subtask/agent-phase.js';
import { subtaskFolder, worktreeFolder } from '../subtask/deps.js';

/** A council member's input: an agent's run with its council. */
export type MemberRunInput = AgentPhaseInput & { council: CouncilMemberRun };

const safe = (name: string) => name.replace(/[^\w.-]/g, '_');

/** The member's own worktree: every candidate starts at the phase's start, apart from the others. */
export function councilWorktreeFolder(
  config: LoadedConfig,
  project: string,
  councilId: string,
  modelId: string,
): string {
  return worktreeFolder(config, project, `council/${safe(councilId)}/${safe(modelId)}`);
}

/** The candidate's tag (`<council>/<model>`): its commit's Maestro-Candidate trailer, the same on every retry. */
export function candidateTag(councilId: string, modelId: string): string {
  return `${councilId}/${modelId}`;
}

/** How a member's candidate is committed: its own message, trailer and author. */
export function candidateCommit(input: MemberRunInput) {
  return {
    message: `${phaseCommitMessage(input.phase, input.spec.key, input.spec.title, input.role)} — council candidate of ${input.model.id}`,
    trailers: { 'Maestro-Candidate': candidateTag(input.council.councilId, input.model.id) },
    identity: { name: `Maestro council (${input.model.id})`, email: 'council@maestro.local' },
  };
}

/** What a member's calls are charged as: the council's, by member. */
export function candidateLedger(input: MemberRunInput) {
  return { workflowId: input.council.councilId, purpose: 'council' as const, role: `council:${input.model.id}` };
}

/** The label of a member's logs (install, test runs). */
export function candidateLogLabel(input: MemberRunInput, attemptHead: string): string {
  return `${input.phase}-council-${safe(input.model.id)}-${attemptHead}`;
}

/** The member's worktree made (once) at the phase's start. */
export async function ensureCandidateWorktree(config: LoadedConfig, input: MemberRunInput): Promise<string> {
  const worktree = councilWorktreeFolder(config, input.council.project, input.council.councilId, input.model.id);
  await ensureDetachedWorktree(input.council.repoPath, worktree, input.startSha);
  return worktree;
}

/** The project's install command in a fresh candidate worktree (its tests need the dependencies). */
export async function installCandidateDependencies(
  { config, prisma }: { config: LoadedConfig; prisma: PrismaClient },
  input: MemberRunInput,
  worktree: string,
): Promise<void> {
  const command = input.council.installCommand;
  if (!command) return;
  const sandbox: CommandSandbox = await projectCommandSandbox({ config, prisma }, input.projectId, 'install');
  const context = Context.current();
  const install = await runCommand({
    command,
    cwd: worktree,
    logFile: path.join(subtaskFolder(config, input.workflowId), 'logs', `council-${safe(input.model.id)}-install.log`),
    sandbox,
    limits: config.commands,
    secretEnvNames: modelKeyEnvNames(config),
    signal: context.cancellationSignal,
    onProgress: (progress: object) => context.heartbeat({ label: 'install', ...progress }),
  });
  if (install.outcome !== 'exited' || install.exitCode !== 0) {
    throw ApplicationFailure.nonRetryable(
      `\`${command}\` failed in the candidate's worktree (${install.outcome}, exit ${install.exitCode})${noNetworkHint(sandbox)}: ${install.outputTail.slice(-500)}`,
      'InstallFailed',
    );
  }
}

/** What the council needs of a committed candidate: its worktree, its size, its tree; kept under a ref of its own. */
export async function keepCandidate(
  config: LoadedConfig,
  input: { repoPath: string; project: string; councilId: string; model: string; startSha: string; sha: string },
): Promise<{ worktree: string; diffLines: number; treeSha: string }> {
  // Every candidate stays there to be looked at, after its worktree is gone.
  await keepRef(input.repoPath, `refs/maestro/council/${safe(input.councilId)}/${safe(input.model)}`, input.sha);
  return {
    worktree: councilWorktreeFolder(config, input.project, input.councilId, input.model),
    diffLines: await changedLines(input.repoPath, input.startSha, input.sha),
    treeSha: await treeOf(input.repoPath, input.sha),
  };
}
