import { git, gitRaw } from '../../../git/git.js';

/** Enough to review a subtask; a bigger diff is cut at a file boundary and says so. */
export const DIFF_LIMITS = { changedLines: 6_000, characters: 600_000 };

export interface DiffFile {
  path: string;
  /** The old path, for a rename. */
  from?: string;
  additions: number;
  deletions: number;
  binary: boolean;
  /** Left out of `text` to keep the diff within its limits. */
  omitted: boolean;
}

export interface BranchDiff {
  branch: string;
  baseSha: string;
  headSha: string;
  files: DiffFile[];
  additions: number;
  deletions: number;
  /** The unified diff (`git diff base head`) of the files not omitted. */
  text: string;
  truncated: boolean;
  /** Why some of it is left out, and how to see all of it. */
  notice?: string;
}

/** The subtask's branch against where it started, from the real repository. */
export async function branchDiff(
  repoPath: string,
  branch: string,
  baseSha: string,
  limits = DIFF_LIMITS,
): Promise<BranchDiff> {
  const headSha = await git(repoPath, ['rev-parse', '--verify', `refs/heads/${branch}^{commit}`]);
  const numstat = await git(repoPath, [
    'diff',
    '--no-color',
    '--no-ext-diff',
    '-M',
    '--numstat',
    '-z',
    baseSha,
    headSha,
  ]);
  const files = parseNumstat(numstat);
  let budget = limits.changedLines;
  const included: DiffFile[] = [];
  for (const file of files) {
    const size = file.additions + file.deletions;
    if (included.length > 0 && size > budget) {
      file.omitted = true;
      continue;
    }
    budget -= size;
    included.push(file);
  }
  let text = '';
  if (included.length > 0) {
    const paths = included.flatMap((file) => (file.from ? [file.from, file.path] : [file.path]));
    text = (await gitRaw(repoPath, ['diff', '--no-color', '--no-ext-diff', '-M', baseSha, headSha, '--', ...paths]))
      .stdout;
  }
  let truncated = files.some((file) => file.omitted);
  if (text.length > limits.characters) {
    // Cut at the last file boundary that fits, so the viewer never shows half a hunk.
    const cut = text.lastIndexOf('\ndiff --git ', limits.characters);
    text = cut > 0 ? text.slice(0, cut + 1) : text.slice(0, limits.characters);
    truncated = true;
    for (const file of included) if (!text.includes(`b/${file.path}\n`)) file.omitted = true;
  }
  const omitted = files.filter((file) => file.omitted);
  return {
    branch,
    baseSha,
    headSha,
    files,
    additions: files.reduce((sum, file) => sum + file.additions, 0),
    deletions: files.reduce((sum, file) => sum + file.deletions, 0),
    text,
    truncated,
    notice: truncated
      ? `The diff is too big to show whole: ${omitted.length} of ${files.length} file(s) are left out (${omitted
          .map((file) => file.path)
          .slice(0, 5)
          .join(
            ', ',
          )}${omitted.length > 5 ? ', …' : ''}). See all of it with \`git diff ${baseSha.slice(0, 12)} ${branch}\` in ${repoPath}.`
      : undefined,
  };
}

/** `git diff --numstat -z`: `adds\tdels\tpath\0`, or for a rename `adds\tdels\t\0from\0to\0`; binary files count `-`. */
export function parseNumstat(output: string): DiffFile[] {
  const parts = output.split('\0');
  const files: DiffFile[] = [];
  for (let index = 0; index < parts.length; index++) {
    const entry = parts[index]!;
    if (!entry.trim()) continue;
    const [adds, dels, ...rest] = entry.split('\t');
    let path = rest.join('\t');
    let from: string | undefined;
    if (path === '') {
      from = parts[++index];
      path = parts[++index] ?? '';
    }
    const binary = adds === '-' && dels === '-';
    files.push({
      path,
      from,
      additions: binary ? 0 : Number(adds),
      deletions: binary ? 0 : Number(dels),
      binary,
      omitted: false,
    });
  }
  return files;
}
