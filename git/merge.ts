import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GitError, git, gitRaw, isAncestor, resetWorktree, revParse } from './git.js';
import type { GitIdentity } from './git.js';
import { normaliseReportPaths } from './commit-selection.js';

export type MergeResult =
  /** `leftOut`: paths the branch changed that the merge kept as the base has them (test reports). */
  | { status: 'merged'; mergeSha: string; baseSha: string; leftOut?: string[] }
  /** The base branch is not where the subtask last checked it: rebase and re-verify first. */
  | { status: 'base_moved'; baseSha: string };

/**
 * Merges `branch` into `baseBranch` with a merge commit, without checking anything out: the tree is
 * built by `git merge-tree` and the base branch moves only if it is still at `expectedBaseSha`. When
 * the base branch is checked out in a worktree, that worktree is fast-forwarded, so its files follow.
 * Paths in `leaveOut` (the project's test reports) are merged as the base has them, whatever the branch did.
 */
export async function mergeIntoBase(
  repo: string,
  baseBranch: string,
  branch: string,
  expectedBaseSha: string,
  message: string,
  identity: GitIdentity,
  leaveOut: readonly string[] = [],
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
  const merged = tree.stdout.split('\n')[0]!.trim();
  // Report paths as git names them: `./test-results/` is `test-results`.
  const { treeSha, kept } = await keepBaseVersions(repo, merged, baseSha, normaliseReportPaths(leaveOut));
  const mergeSha = await git(repo, ['commit-tree', treeSha, '-p', baseSha, '-p', branchSha, '-m', message], identity);

  const checkedOutIn = await worktreeOfBranch(repo, baseBranch);
  if (checkedOutIn) {
    await git(checkedOutIn, ['merge', '--ff-only', '--quiet', mergeSha]);
  } else {
    await git(repo, ['update-ref', '-m', `maestro: ${message}`, `refs/heads/${baseBranch}`, mergeSha, baseSha]);
  }
  return { status: 'merged', mergeSha, baseSha, ...(kept.length > 0 ? { leftOut: kept } : {}) };
}

/**
 * The merged tree with these paths (files or folders) as they are in the base commit: put back if
 * the branch changed them, removed if the branch added them. Built in a scratch index, so neither the
 * repository's index nor any checkout is touched.
 */
export async function keepBaseVersions(
  repo: string,
  treeSha: string,
  baseSha: string,
  paths: readonly string[],
): Promise<{ treeSha: string; kept: string[] }> {
  // `-z`: paths exactly as they are, never quoted (`"caf\303\251.xml"`) for non-ASCII letters or quotes.
  const entries = async (tree: string, file: string) =>
    git(repo, ['ls-tree', '-r', '-z', '--full-tree', tree, '--', file]);
  const kept: string[] = [];
  for (const file of paths) if ((await entries(treeSha, file)) !== (await entries(baseSha, file))) kept.push(file);
  if (kept.length === 0) return { treeSha, kept };
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'maestro-merge-index-'));
  const env = { GIT_INDEX_FILE: path.join(scratch, 'index') };
  try {
    await git(repo, ['read-tree', treeSha], undefined, env);
    for (const file of kept) {
      for (const entry of parseEntries(await entries(treeSha, file)))
        await git(repo, ['update-index', '--force-remove', '--', entry.name], undefined, env);
      for (const entry of parseEntries(await entries(baseSha, file)))
        await git(
          repo,
          ['update-index', '--add', '--cacheinfo', `${entry.mode},${entry.sha},${entry.name}`],
          undefined,
          env,
        );
    }
    return { treeSha: await git(repo, ['write-tree'], undefined, env), kept };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** `git ls-tree -z` entries: `<mode> <type> <sha>\t<path>`, each ended by a NUL; the path may hold tabs. */
function parseEntries(listing: string): Array<{ mode: string; sha: string; name: string }> {
  return listing
    .split('\0')
    .filter(Boolean)
    .map((entry) => {
      const tab = entry.indexOf('\t');
      const [mode, , sha] = entry.slice(0, tab).split(' ') as [string, string, string];
      return { mode, sha, name: entry.slice(tab + 1) };
    });
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
  const conflicted = (await gitRaw(worktree, ['diff', '--name-only', '-z', '--diff-filter=U'])).stdout;
  await gitRaw(worktree, ['rebase', '--abort']);
  return { status: 'conflicts', files: conflicted.split('\0').filter(Boolean), baseSha };
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
