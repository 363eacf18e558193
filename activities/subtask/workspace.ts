import { existsSync, mkdirSync, realpathSync, rmSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { subtaskBranch } from '../../domain/naming.js';
import {
  ensureWorktree,
  git,
  gitRaw,
  isAncestor,
  isWorkTree,
  removeWorktree,
  resetWorktree,
  revParse,
} from '../../git/git.js';
import type { LoadedConfig } from '../../runtime/config.js';
import { isInside } from '../../runtime/bwrap-args.js';
import { mergeIntoBase, rebaseOntoBase, type MergeResult, type RebaseResult } from '../../git/merge.js';
import { type ActivityDeps, worktreeFolder } from './deps.js';

const ORCHESTRATOR = { name: 'Maestro Orion', email: 'orchestrator@maestro.local' };

export interface PrepareWorkspaceInput {
  project: string;
  repoPath: string;
  baseBranch: string;
  key: string;
  title: string;
}

export interface Workspace {
  worktree: string;
  branch: string;
  /** The base branch's commit the subtask starts from. */
  baseSha: string;
}

/** The orchestrator's git work: the subtask's worktree and branch, the merge, the rebase. */
export function createWorkspaceActivities({ config }: Pick<ActivityDeps, 'config'>) {
  return {
    async prepareWorkspace(input: PrepareWorkspaceInput): Promise<Workspace> {
      const branch = subtaskBranch(input.key, input.title);
      const worktree = worktreeFolder(config, input.project, branch);
      mkdirSync(path.dirname(worktree), { recursive: true });
      let baseTip: string;
      try {
        baseTip = await revParse(input.repoPath, `refs/heads/${input.baseBranch}`);
      } catch {
        throw ApplicationFailure.nonRetryable(
          `The base branch ${input.baseBranch} does not exist in ${input.repoPath}.`,
          'WorkspaceError',
        );
      }
      await ensureWorktree(input.repoPath, worktree, branch, baseTip);
      // On a retry the worktree may exist from before the base moved: the branch starts where it forked.
      const baseSha = await git(input.repoPath, ['merge-base', branch, baseTip]);
      return { worktree, branch, baseSha };
    },

    async mergeBranch(input: {
      repoPath: string;
      baseBranch: string;
      branch: string;
      expectedBaseSha: string;
      message: string;
      /** The project's test reports: merged as the base has them, whatever the branch holds. */
      leaveOut?: string[];
    }): Promise<MergeResult> {
      return mergeIntoBase(
        input.repoPath,
        input.baseBranch,
        input.branch,
        input.expectedBaseSha,
        input.message,
        ORCHESTRATOR,
        input.leaveOut,
      );
    },

    /**
     * The subtask ended (merged or cancelled): its worktree goes, the branch stays with the work, so
     * a person can check it out. Done again, it finds nothing to do.
     */
    async removeWorkspace(input: { repoPath: string; worktree: string }): Promise<{ removed: boolean }> {
      return { removed: await removeSubtaskWorktree(config, input.repoPath, input.worktree) };
    },

    async rebaseBranch(input: { worktree: string; baseBranch: string }): Promise<RebaseResult> {
      return rebaseOntoBase(input.worktree, input.baseBranch, ORCHESTRATOR);
    },

    /** The council's winner becomes the subtask's work: its branch moves to the candidate's commit. */
    async applyCandidate(input: { worktree: string; startSha: string; sha: string }): Promise<void> {
      if (!(await isAncestor(input.worktree, input.startSha, input.sha))) {
        throw ApplicationFailure.nonRetryable(
          `the candidate ${input.sha.slice(0, 8)} does not start from the phase's start ${input.startSha.slice(0, 8)}`,
          'WorkspaceError',
        );
      }
      await resetWorktree(input.worktree, input.sha);
    },

    /** A council's worktrees go, every member's; their commits stay under refs/maestro/council. */
    async removeCouncilWorktrees(input: { repoPath: string; project: string; councilId: string }): Promise<void> {
      const folder = worktreeFolder(config, input.project, `council/${input.councilId.replace(/[^\w.-]/g, '_')}`);
      const listed = await git(input.repoPath, ['worktree', 'list', '--porcelain']);
      const inside = listed
        .split('\n')
        .filter((line) => line.startsWith('worktree '))
        .map((line) => line.slice('worktree '.length))
        .filter((worktree) =>
          [folder, existsSync(folder) ? realpathSync(folder) : folder].some(
            (prefix) => worktree !== prefix && isInside(worktree, prefix),
          ),
        );
      for (const worktree of inside) await removeWorktree(input.repoPath, worktree);
      rmSync(folder, { recursive: true, force: true });
      await git(input.repoPath, ['worktree', 'prune']);
    },
  };
}

export type WorkspaceActivities = ReturnType<typeof createWorkspaceActivities>;

/**
 * How often, and how far apart, a worktree's removal is tried: after a cancel, a check the workflow
 * stopped waiting for may still be running in it (and writing to it) for a few seconds.
 */
export const REMOVAL_TRIES = { attempts: 10, waitMs: 1_000 };

/**
 * Runs `remove` until `gone` says so, `tries.attempts` times at most, `tries.waitMs` apart. Returns
 * whether it went, and the last error `remove` threw.
 */
export async function removeUntilGone(
  remove: () => Promise<void>,
  gone: () => boolean,
  tries: { attempts: number; waitMs: number } = REMOVAL_TRIES,
): Promise<{ gone: boolean; error?: unknown }> {
  let error: unknown;
  for (let attempt = 1; ; attempt += 1) {
    try {
      await remove();
    } catch (failure) {
      error = failure;
    }
    if (gone()) return { gone: true };
    if (attempt >= tries.attempts) return { gone: false, error };
    await new Promise((resolve) => setTimeout(resolve, tries.waitMs));
  }
}

/**
 * Removes a subtask's worktree (never anything outside the data folder's worktrees) and git's record
 * of it; the branch stays. Returns whether there was a folder to remove. While something still
 * writes in it (a cancelled check), the removal is tried again; a worktree that stays is an error
 * (the workflow logs it as kept; the next orchestrator start removes it).
 */
export async function removeSubtaskWorktree(
  config: Pick<LoadedConfig, 'dataDir'>,
  repoPath: string,
  worktree: string,
  tries = REMOVAL_TRIES,
): Promise<boolean> {
  const root = path.resolve(config.dataDir, 'worktrees');
  const resolved = path.resolve(worktree);
  if (resolved === root || !isInside(resolved, root))
    throw ApplicationFailure.nonRetryable(
      `${worktree} is not under ${root}: not Maestro's to remove`,
      'WorkspaceError',
    );
  const existed = existsSync(worktree);
  if (existed) {
    const removal = await removeUntilGone(
      async () => {
        // A folder git no longer knows as a worktree (a half-made one, say) is removed all the same.
        await removeWorktree(repoPath, worktree).catch(() => undefined);
        rmSync(worktree, { recursive: true, force: true, maxRetries: 2 });
      },
      () => !existsSync(worktree),
      tries,
    );
    if (!removal.gone)
      throw ApplicationFailure.nonRetryable(
        `${worktree} is still there after ${tries.attempts} tries ${tries.waitMs} ms apart (a process may still be using it)${removal.error instanceof Error ? `: ${removal.error.message}` : ''}`,
        'WorkspaceError',
      );
  }
  // The project's folder goes with its last worktree (rmdir: never while another worktree is made in it).
  try {
    rmdirSync(path.dirname(worktree));
  } catch {
    // not empty, or gone already
  }
  if (existsSync(repoPath)) await git(repoPath, ['worktree', 'prune']);
  return existed;
}

/** What the start of an orchestrator worker cleaned up. */
export interface PruneReport {
  repositories: number;
  removed: string[];
  failed: Array<{ worktree: string; error: string }>;
}

/**
 * On start: `git worktree prune` in every project's repository (worktrees whose folder is gone are
 * forgotten), and the worktrees of subtasks that ended (completed or cancelled) removed, for those a
 * workflow could not remove itself (it ended before this was done, or a removal failed).
 */
export async function pruneEndedWorkspaces({
  config,
  prisma,
}: Pick<ActivityDeps, 'config' | 'prisma'>): Promise<PruneReport> {
  const report: PruneReport = { repositories: 0, removed: [], failed: [] };
  const projects = await prisma.project.findMany({ select: { name: true, repoPath: true } });
  for (const project of projects) {
    // A repository that is gone or broken is not this worker's to mend.
    if (!(await isWorkTree(project.repoPath).catch(() => false))) continue;
    if ((await gitRaw(project.repoPath, ['worktree', 'prune'])).exitCode === 0) report.repositories += 1;
  }
  const ended = await prisma.subtask.findMany({
    where: { status: { in: ['completed', 'cancelled'] }, branch: { not: null } },
    select: { branch: true, project: { select: { name: true, repoPath: true } } },
  });
  for (const subtask of ended) {
    const worktree = worktreeFolder(config, subtask.project.name, subtask.branch!);
    if (!existsSync(worktree)) continue;
    try {
      await removeSubtaskWorktree(config, subtask.project.repoPath, worktree);
      report.removed.push(worktree);
    } catch (error) {
      report.failed.push({ worktree, error: (error as Error).message });
    }
  }
  return report;
}
