import { existsSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { projectCommandEnvironment } from '../runtime/child-env.js';
import { signalGroup } from '../runtime/child-process.js';
import { type RepositoryCredentials, splitRepositoryUrl } from '../domain/repository-url.js';

export class GitError extends Error {
  constructor(
    readonly args: string[],
    readonly exitCode: number | undefined,
    readonly stderr: string,
  ) {
    super(
      `git ${args.join(' ')} failed${exitCode === undefined ? '' : ` (exit ${exitCode})`}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
    );
    this.name = 'GitError';
  }
}

export interface GitIdentity {
  name: string;
  email: string;
}

export interface GitResult {
  stdout: string;
  exitCode: number;
}

/**
 * What Maestro's own git never runs, whatever a repository's config says: hooks (Maestro commits
 * with --no-verify and relies on none) and a file-system monitor (`git status` would start it).
 * Both would be a program of the repository's, run outside the sandbox with Maestro's rights.
 */
export const SAFE_GIT_CONFIG = ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false'] as const;

/** Runs git without a shell, never prompting, in English, with a fixed identity when committing. */
function runGit(
  cwd: string,
  args: string[],
  identity?: GitIdentity,
  env: Record<string, string> = {},
  detached = false,
) {
  const configArgs = identity ? ['-c', `user.name=${identity.name}`, '-c', `user.email=${identity.email}`] : [];
  return execa('git', [...SAFE_GIT_CONFIG, ...configArgs, ...args], {
    cwd,
    stdin: 'ignore',
    reject: false,
    detached,
    // The same clean environment as the project's commands.
    env: {
      ...projectCommandEnvironment(),
      GIT_TERMINAL_PROMPT: '0',
      LC_ALL: 'C',
      GIT_OPTIONAL_LOCKS: '0',
      ...env,
    },
    extendEnv: false,
  });
}

/** Git's exit code and output, for commands whose failure is an answer (`merge-tree`, `rev-parse --verify`). */
export async function gitRaw(cwd: string, args: string[], identity?: GitIdentity): Promise<GitResult> {
  const result = await runGit(cwd, args, identity);
  if (result.exitCode === undefined) throw new GitError(args, undefined, result.shortMessage ?? 'git did not run');
  return { stdout: String(result.stdout), exitCode: result.exitCode };
}

/** Git's output, trimmed; a failure throws. `env` adds variables (GIT_INDEX_FILE for a scratch index, say). */
export async function git(
  cwd: string,
  args: string[],
  identity?: GitIdentity,
  env?: Record<string, string>,
): Promise<string> {
  const result = await runGit(cwd, args, identity, env);
  if (result.exitCode !== 0) throw new GitError(args, result.exitCode, String(result.stderr || result.shortMessage));
  return String(result.stdout).trim();
}

export async function isWorkTree(dir: string): Promise<boolean> {
  if (!existsSync(dir)) return false;
  const result = await gitRaw(dir, ['rev-parse', '--is-inside-work-tree']);
  return result.exitCode === 0 && result.stdout.trim() === 'true';
}

/** The repository's top folder, which `dir` may be inside of. */
export async function topLevel(dir: string): Promise<string> {
  return git(dir, ['rev-parse', '--show-toplevel']);
}

export async function branchExists(repo: string, branch: string): Promise<boolean> {
  return (await gitRaw(repo, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`])).exitCode === 0;
}

export async function revParse(repo: string, ref: string): Promise<string> {
  return git(repo, ['rev-parse', '--verify', `${ref}^{commit}`]);
}

/** The clone ran out of time (a silent or very slow server). */
export class CloneTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`git clone gave no result within ${Math.round(timeoutMs / 1000)} s`);
    this.name = 'CloneTimeoutError';
  }
}

/** Where git gets a clone's credentials: two variables only the same user can read, never argv or a file. */
export const CREDENTIAL_ENV = {
  host: 'MAESTRO_GIT_HOST',
  username: 'MAESTRO_GIT_USERNAME',
  password: 'MAESTRO_GIT_PASSWORD',
} as const;

/**
 * A credential helper that answers git's `get` from the environment, for the URL's own host only
 * (not for a host a redirect leads to), and stores nothing. Its text names variables, never values.
 */
const ENV_CREDENTIAL_HELPER =
  `!f() { test "$1" = get || exit 0; host=; while IFS= read -r line && [ -n "$line" ]; do ` +
  `case "$line" in host=*) host="\${line#host=}";; esac; done; ` +
  `[ "$host" = "$${CREDENTIAL_ENV.host}" ] || exit 0; ` +
  `printf 'username=%s\npassword=%s\n' "$${CREDENTIAL_ENV.username}" "$${CREDENTIAL_ENV.password}"; }; f`;

/** A transfer slower than this many bytes a second for LOW_SPEED_SECONDS fails, whatever the overall timeout. */
const LOW_SPEED_BYTES = 1_000;
const LOW_SPEED_SECONDS = 30;

export interface CloneCommand {
  args: string[];
  env: Record<string, string>;
}

/**
 * The arguments and environment of `git clone`: the URL as given (without credentials), the
 * credentials (if any) in the environment for the helper above, the user's own helpers left out so
 * none of them stores the token, and a stalled transfer cut off.
 */
export function cloneCommand(url: string, destination: string, credentials?: RepositoryCredentials): CloneCommand {
  const stall = ['-c', `http.lowSpeedLimit=${LOW_SPEED_BYTES}`, '-c', `http.lowSpeedTime=${LOW_SPEED_SECONDS}`];
  const helper = credentials ? ['-c', 'credential.helper=', '-c', `credential.helper=${ENV_CREDENTIAL_HELPER}`] : [];
  return {
    args: [...stall, ...helper, 'clone', '--quiet', '--no-tags', '--', url, destination],
    env: credentials
      ? {
          [CREDENTIAL_ENV.host]: credentials.host,
          [CREDENTIAL_ENV.username]: credentials.username,
          [CREDENTIAL_ENV.password]: credentials.password,
        }
      : {},
  };
}

export interface CloneOptions {
  credentials?: RepositoryCredentials;
  timeoutMs: number;
}

/** Clones `url` (which holds no credentials: they come in `options`) within the timeout. */
export async function cloneRepository(url: string, destination: string, options: CloneOptions): Promise<void> {
  const { args, env } = cloneCommand(url, destination, options.credentials);
  // In its own process group: git's transport helper (git-remote-https) holds the output open, so
  // a timeout kills the whole group, not git alone.
  const child = runGit(path.dirname(destination), args, undefined, env, true);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
  }, options.timeoutMs);
  const result = await child.finally(() => clearTimeout(timer));
  if (timedOut) throw new CloneTimeoutError(options.timeoutMs);
  if (result.exitCode !== 0) throw new GitError(args, result.exitCode, String(result.stderr || result.shortMessage));
}

/**
 * Takes a user name and password out of the repository's `origin` URL, where clones made before
 * Maestro kept credentials out of URLs have them. Returns whether it changed anything.
 */
export async function removeRemoteCredentials(repo: string, remote = 'origin'): Promise<boolean> {
  const { stdout, exitCode } = await gitRaw(repo, ['config', '--get', `remote.${remote}.url`]);
  const url = stdout.trim();
  if (exitCode !== 0 || !url) return false;
  const stripped = splitRepositoryUrl(url).url;
  if (stripped === url) return false;
  await git(repo, ['config', `remote.${remote}.url`, stripped]);
  return true;
}

/**
 * The subtask's worktree on its branch: created from `startPoint` the first time, found again on a
 * retry (an activity may run twice).
 */
export async function ensureWorktree(
  repo: string,
  worktree: string,
  branch: string,
  startPoint: string,
): Promise<void> {
  if (await isWorkTree(worktree)) {
    const current = await git(worktree, ['rev-parse', '--abbrev-ref', 'HEAD']);
    if (current !== branch)
      throw new GitError(['worktree', worktree], 1, `${worktree} is on ${current}, expected ${branch}`);
    return;
  }
  await git(repo, ['worktree', 'prune']);
  if (await branchExists(repo, branch)) {
    await git(repo, ['worktree', 'add', '--quiet', worktree, branch]);
  } else {
    await git(repo, ['worktree', 'add', '--quiet', '-b', branch, worktree, startPoint]);
  }
}

/** Back to a known commit, dropping whatever a crashed or cancelled attempt left behind. */
export async function resetWorktree(worktree: string, sha: string): Promise<void> {
  await git(worktree, ['reset', '--quiet', '--hard', sha]);
  await git(worktree, ['clean', '-fdq']);
}

export interface CommitInfo {
  sha: string;
  message: string;
}

export async function headCommit(worktree: string): Promise<CommitInfo> {
  const [sha, ...message] = (await git(worktree, ['log', '-1', '--format=%H%n%B'])).split('\n');
  return { sha: sha!, message: message.join('\n').trim() };
}

/** Commits everything in the worktree (an empty commit when nothing changed) and returns its SHA. */
export async function commitAll(
  worktree: string,
  message: string,
  trailers: Record<string, string>,
  identity: GitIdentity,
): Promise<string> {
  await git(worktree, ['add', '--all']);
  const trailerArgs = Object.entries(trailers).flatMap(([key, value]) => ['--trailer', `${key}: ${value}`]);
  await git(worktree, ['commit', '--quiet', '--allow-empty', '--no-verify', '-m', message, ...trailerArgs], identity);
  return git(worktree, ['rev-parse', 'HEAD']);
}

/** What changed since `sha` (committed or not), cut to `maxChars`. */
export async function diffSince(worktree: string, sha: string, maxChars: number): Promise<string> {
  await git(worktree, ['add', '--all', '--intent-to-add']);
  const diff = await git(worktree, ['diff', '--no-color', sha]);
  return diff.length > maxChars ? `${diff.slice(0, maxChars)}\n[… diff cut at ${maxChars} characters]` : diff;
}

export async function changedFiles(worktree: string, from: string, to = 'HEAD'): Promise<string[]> {
  // `-z`: paths as they are, not quoted for non-ASCII letters or quotes.
  const output = await git(worktree, ['diff', '--name-only', '-z', from, to]);
  return output.split('\0').filter(Boolean);
}

export interface WorktreeChange {
  path: string;
  /** Known to git at HEAD (modified or deleted), rather than new. */
  tracked: boolean;
}

/** Every path that differs from HEAD, new files included (ignored files excluded). */
export async function worktreeChanges(worktree: string): Promise<WorktreeChange[]> {
  // Untrimmed: each entry starts with a two-letter status whose first letter may be a space.
  const args = ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames'];
  const { stdout, exitCode } = await gitRaw(worktree, args);
  if (exitCode !== 0) await git(worktree, args);
  return stdout
    .split('\0')
    .filter(Boolean)
    .map((entry) => ({ path: entry.slice(3), tracked: !entry.startsWith('??') }));
}

/** Paths a git command line takes at a time: a coverage folder can hold thousands of files. */
const PATHS_PER_CALL = 200;

/** Puts these paths back as they are at HEAD: modified ones restored, new ones removed. */
export async function revertPaths(worktree: string, changes: readonly WorktreeChange[]): Promise<void> {
  const tracked = changes.filter((change) => change.tracked).map((change) => change.path);
  const untracked = changes.filter((change) => !change.tracked).map((change) => change.path);
  for (let at = 0; at < tracked.length; at += PATHS_PER_CALL)
    await git(worktree, ['checkout', 'HEAD', '--', ...tracked.slice(at, at + PATHS_PER_CALL)]);
  for (let at = 0; at < untracked.length; at += PATHS_PER_CALL)
    await git(worktree, ['clean', '-fq', '--', ...untracked.slice(at, at + PATHS_PER_CALL)]);
}

/** Whether `ancestor` is reachable from `descendant`. */
export async function isAncestor(repo: string, ancestor: string, descendant: string): Promise<boolean> {
  return (await gitRaw(repo, ['merge-base', '--is-ancestor', ancestor, descendant])).exitCode === 0;
}

/** A worktree at `startPoint` on no branch (a council candidate's): created the first time, found again on a retry. */
export async function ensureDetachedWorktree(repo: string, worktree: string, startPoint: string): Promise<void> {
  if (await isWorkTree(worktree)) return;
  await git(repo, ['worktree', 'prune']);
  await git(repo, ['worktree', 'add', '--quiet', '--detach', worktree, startPoint]);
}

export async function removeWorktree(repo: string, worktree: string): Promise<void> {
  if (!existsSync(worktree)) return;
  await git(repo, ['worktree', 'remove', '--force', worktree]);
}

/** The folders of the repository's worktrees, as git lists them (its own checkout first). */
export async function listWorktrees(repo: string): Promise<string[]> {
  return (await git(repo, ['worktree', 'list', '--porcelain']))
    .split('\n')
    .filter((line) => line.startsWith('worktree '))
    .map((line) => line.slice('worktree '.length));
}

/** Lines added and removed between two commits. */
export async function changedLines(repo: string, from: string, to: string): Promise<number> {
  const numstat = await git(repo, ['diff', '--numstat', from, to]);
  return numstat
    .split('\n')
    .filter(Boolean)
    .reduce((sum, line) => {
      const [added, removed] = line.split('\t');
      return sum + (Number(added) || 0) + (Number(removed) || 0);
    }, 0);
}

/** The tree a commit holds: two commits with the same tree made the same change. */
export async function treeOf(repo: string, sha: string): Promise<string> {
  return git(repo, ['rev-parse', `${sha}^{tree}`]);
}

/** Keeps a commit reachable under a ref of Maestro's own (`refs/maestro/...`), for people to look at. */
export async function keepRef(repo: string, ref: string, sha: string): Promise<void> {
  await git(repo, ['update-ref', ref, sha]);
}
