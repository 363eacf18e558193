import { existsSync, mkdirSync, realpathSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { subtaskBranch } from '../../domain/naming.js';
import { ensureWorktree, git, isAncestor, removeWorktree, resetWorktree, revParse } from '../../git/git.js';
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
          [folder, existsSync(folder) ? realpathSync(folder) : folder].some((prefix) =>
            worktree.startsWith(`${prefix}${path.sep}`),
          ),
        );
      for (const worktree of inside) await removeWorktree(input.repoPath, worktree);
      rmSync(folder, { recursive: true, force: true });
      await git(input.repoPath, ['worktree', 'prune']);
    },
  };
}

export type WorkspaceActivities = ReturnType<typeof createWorkspaceActivities>;
