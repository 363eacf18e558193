import { GitError, git, gitRaw, isAncestor, resetWorktree, revParse } from './git.js';
import type { GitIdentity } from './git.js';

export type MergeResult =
  | { status: 'merged'; mergeSha: string; baseSha: string }
  /** The base branch is not where the subtask last checked it: rebase and re-verify first. */
  | { status: 'base_moved'; baseSha: string };

/**
 * Merges `branch` into `baseBranch` with a merge commit, without checking anything out: the tree is
 * built by `git merge-tree` and the base branch moves only if it is still at `expectedBaseSha`. When
 * the base branch is checked out in a worktree, that worktree is fast-forwarded, so its files follow.
 */
export async function mergeIntoBase(
  repo: string,
  baseBranch: string,
  branch: string,
  expectedBaseSha: string,
  message: string,
  identity: GitIdentity,
): Promise<MergeResult> {
  const baseSha = await revParse(repo, `refs/heads/${baseBranch}`);
  const branchSha = await revParse(repo, `refs/heads/${branch}`);
  // A retry after the merge went through (the worker died before reporting it) finds it done.
  if (baseSha !== expectedBaseSha && (await isAncestor(repo, branchSha, baseSha))) {
    return { status: 'merged', mergeSha: baseSha, baseSha: await revParse(repo, `${baseSha}^1`) };
  }
  if (baseSha !== expectedBaseSha) return { status: 'base_moved', baseSha };
  const tree = await gitRaw(repo, ['merge-tree', '--write-tree', baseSha, branchSha]);
  if (tree.exitCode !== 0)
    throw new GitError(
      ['merge-tree', baseSha, branchSha],
      tree.exitCode,
      'the branch does not merge cleanly onto an unchanged base',
    );
  const treeSha = tree.stdout.split('\n')[0]!.trim();
  const mergeSha = await git(repo, ['commit-tree', treeSha, '-p', baseSha, '-p', branchSha, '-m', message], identity);

  const checkedOutIn = await worktreeOfBranch(repo, baseBranch);
  if (checkedOutIn) {
    await git(checkedOutIn, ['merge', '--ff-only', '--quiet', mergeSha]);
  } else {
    await git(repo, ['update-ref', '-m', `maestro: ${message}`, `refs/heads/${baseBranch}`, mergeSha, baseSha]);
  }
  return { status: 'merged', mergeSha, baseSha };
}

export type RebaseResult =
  { status: 'rebased'; headSha: string; baseSha: string } | { status: 'conflicts'; files: string[]; baseSha: string };

/** Replays the subtask's commits onto the base branch's tip; on conflicts, lists them and undoes the attempt. */
export async function rebaseOntoBase(
  worktree: string,
  baseBranch: string,
  identity: GitIdentity,
): Promise<RebaseResult> {
  // Whatever an interrupted agent left uncommitted is not part of the branch.
  await resetWorktree(worktree, 'HEAD');
  const baseSha = await revParse(worktree, `refs/heads/${baseBranch}`);
  const rebase = await gitRaw(worktree, ['rebase', '--quiet', baseSha], identity);
  if (rebase.exitCode === 0) return { status: 'rebased', headSha: await revParse(worktree, 'HEAD'), baseSha };
  const conflicted = (await gitRaw(worktree, ['diff', '--name-only', '--diff-filter=U'])).stdout.trim();
  await gitRaw(worktree, ['rebase', '--abort']);
  return { status: 'conflicts', files: conflicted ? conflicted.split('\n') : [], baseSha };
}

async function worktreeOfBranch(repo: string, branch: string): Promise<string | undefined> {
  const listing = await git(repo, ['worktree', 'list', '--porcelain']);
  for (const block of listing.split('\n\n')) {
    const lines = block.split('\n');
    if (lines.includes(`branch refs/heads/${branch}`))
      return lines.find((line) => line.startsWith('worktree '))?.slice('worktree '.length);
  }
  return undefined;
}
