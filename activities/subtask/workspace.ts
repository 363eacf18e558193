import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { subtaskBranch } from '../../domain/naming.js';
import { ensureWorktree, git, revParse } from '../git/git.js';
import { mergeIntoBase, rebaseOntoBase, type MergeResult, type RebaseResult } from '../git/merge.js';
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
        throw ApplicationFailure.nonRetryable(`The base branch ${input.baseBranch} does not exist in ${input.repoPath}.`, 'WorkspaceError');
      }
      await ensureWorktree(input.repoPath, worktree, branch, baseTip);
      // On a retry the worktree may exist from before the base moved: the branch starts where it forked.
      const baseSha = await git(input.repoPath, ['merge-base', branch, baseTip]);
      return { worktree, branch, baseSha };
    },

    async mergeBranch(input: { repoPath: string; baseBranch: string; branch: string; expectedBaseSha: string; message: string }): Promise<MergeResult> {
      return mergeIntoBase(input.repoPath, input.baseBranch, input.branch, input.expectedBaseSha, input.message, ORCHESTRATOR);
    },

    async rebaseBranch(input: { worktree: string; baseBranch: string }): Promise<RebaseResult> {
      return rebaseOntoBase(input.worktree, input.baseBranch, ORCHESTRATOR);
    },
  };
}

export type WorkspaceActivities = ReturnType<typeof createWorkspaceActivities>;
