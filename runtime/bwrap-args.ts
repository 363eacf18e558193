/**
 * The bubblewrap command line for one project command: pure, so what the sandbox allows is read
 * (and tested) in one place. The order matters: a later mount covers an earlier one.
 */
export interface SandboxPlan {
  /** The folder the command runs in and may write: the worktree. */
  worktree: string;
  /** The command's working directory (the worktree or a folder inside it). */
  cwd: string;
  /** A private folder of this command (host path), mounted at /tmp; TMPDIR points there. */
  tmpDir: string;
  /**
   * The worktree's `.git` (the folder, or a linked worktree's `gitdir:` file), when there is one:
   * read-only, so a command cannot point Maestro's own (unsandboxed) git at hooks or a config of its making.
   */
  dotGit?: string;
  /**
   * A folder kept between commands (the project's cache: HOME and XDG_CACHE_HOME), mounted writable
   * at its own path, last: it is inside the hidden data folder.
   */
  cacheDir?: string;
  /**
   * Maestro's own installation, read-only like the rest of the root file system: also where it lies
   * under /tmp, which the command's private folder covers (a checkout in /tmp, as CI's may be).
   */
  installDir?: string;
  /** Folders covered by an empty tmpfs: Maestro's data folder (with the other worktrees), secrets in the home folder. */
  hiddenDirs: readonly string[];
  /** Files covered by an empty one: sockets and credentials outside the hidden folders. */
  hiddenFiles: readonly string[];
  /**
   * The repository a linked worktree belongs to: its git folder read-only (so `git log` and
   * `git status` work in tests), the other worktrees' folders in it hidden, and this worktree's own
   * (`<common>/worktrees/<name>`: its HEAD, index and config) read-only too: Maestro runs git there
   * outside the sandbox, so nothing in it may be the command's.
   */
  git?: { commonDir: string; adminDir: string };
  network: boolean;
}

export const SANDBOX_TMP = '/tmp';

export function bwrapArgs(plan: SandboxPlan, command: readonly string[]): string[] {
  const args = [
    // Everything read-only: programs (node, npm, git) are found on PATH as outside.
    '--ro-bind',
    '/',
    '/',
    '--dev',
    '/dev',
    '--proc',
    '/proc',
    '--bind',
    plan.tmpDir,
    SANDBOX_TMP,
  ];
  if (plan.installDir && plan.installDir !== SANDBOX_TMP && isInside(plan.installDir, SANDBOX_TMP))
    args.push('--ro-bind', plan.installDir, plan.installDir);
  // A hidden folder inside the worktree (the data folder of a Maestro checkout run on itself) is
  // covered after the worktree's mount, the others before: the worktree is mounted into them.
  const inWorktree = (dir: string) => isInside(dir, plan.worktree);
  for (const dir of plan.hiddenDirs.filter((dir) => !inWorktree(dir))) args.push('--tmpfs', dir);
  for (const file of plan.hiddenFiles.filter((file) => !inWorktree(file))) args.push('--ro-bind', '/dev/null', file);
  if (plan.git) {
    args.push('--ro-bind', plan.git.commonDir, plan.git.commonDir);
    args.push('--tmpfs', `${plan.git.commonDir.replace(/\/+$/, '')}/worktrees`);
    args.push('--ro-bind', plan.git.adminDir, plan.git.adminDir);
  }
  args.push('--bind', plan.worktree, plan.worktree);
  if (plan.dotGit) args.push('--ro-bind', plan.dotGit, plan.dotGit);
  for (const dir of plan.hiddenDirs.filter(inWorktree)) args.push('--tmpfs', dir);
  for (const file of plan.hiddenFiles.filter(inWorktree)) args.push('--ro-bind', '/dev/null', file);
  if (plan.cacheDir) args.push('--bind', plan.cacheDir, plan.cacheDir);
  args.push('--chdir', plan.cwd);
  args.push('--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try');
  if (!plan.network) args.push('--unshare-net');
  // Killed with its parent; and no capabilities, which a root user would otherwise keep and use to
  // remount the read-only root writable.
  args.push('--die-with-parent', '--cap-drop', 'ALL', '--', ...command);
  return args;
}

/** `inner` is `outer` or a path below it (both absolute and normalised). */
export function isInside(inner: string, outer: string): boolean {
  const base = outer.replace(/\/+$/, '');
  return inner === base || inner.startsWith(`${base}/`) || base === '';
}
