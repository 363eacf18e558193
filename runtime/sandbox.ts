import { spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SandboxMode } from '../domain/sandbox.js';
import { type SandboxPlan, SANDBOX_TMP, bwrapArgs, isInside } from './bwrap-args.js';
import type { Logger } from './log.js';
import { projectRoot } from './project-root.js';

/** Whether project commands can run in a sandbox on this machine, and what Maestro does about it. */
export interface SandboxSupport {
  mode: SandboxMode;
  /** bubblewrap's path, when it is there and can create the namespaces. */
  bwrap?: string;
  /** Why there is no sandbox here (bubblewrap missing, or it cannot create namespaces). */
  problem?: string;
  /** Commands run sandboxed (`bwrap`), unsandboxed (`none`), or not at all (`refused`: required, and missing). */
  commands: 'bwrap' | 'none' | 'refused';
  /** One line for the start log and the System page. */
  summary: string;
}

const PROBE_TIMEOUT_MS = 10_000;

/** Finds an executable on a PATH; undefined when there is none. */
export function findOnPath(program: string, pathVariable = process.env.PATH ?? ''): string | undefined {
  const candidates = program.includes('/')
    ? [program]
    : pathVariable
        .split(':')
        .filter(Boolean)
        .map((dir) => path.join(dir, program));
  for (const candidate of candidates) {
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not there, or not executable
    }
  }
  return undefined;
}

/**
 * Runs `true` in the same kind of sandbox commands get. bubblewrap can be installed and still fail
 * (a container without the right to create namespaces, user namespaces switched off).
 */
export function probeSandbox(env: NodeJS.ProcessEnv = process.env): { bwrap?: string; problem?: string } {
  const bwrap = findOnPath('bwrap', env.PATH);
  if (!bwrap) return { problem: "bubblewrap (bwrap) is not installed: install Debian's bubblewrap package" };
  const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'maestro-sandbox-probe-'));
  try {
    const plan: SandboxPlan = {
      worktree: tmpDir,
      cwd: tmpDir,
      tmpDir,
      hiddenDirs: [],
      hiddenFiles: [],
      network: false,
    };
    const result = spawnSync(bwrap, bwrapArgs(plan, ['true']), {
      encoding: 'utf8',
      timeout: PROBE_TIMEOUT_MS,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (result.status === 0) return { bwrap };
    const why = (result.stderr || result.error?.message || `exit ${result.status ?? result.signal}`).trim();
    return { problem: `bubblewrap (${bwrap}) cannot create a sandbox here: ${why}` };
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
}

let lastProbe: { bwrap?: string; problem?: string } | undefined;

/** What this process does with project commands; bubblewrap is tried once per process (unless a probe is given). */
export function sandboxSupport(mode: SandboxMode, probe?: { bwrap?: string; problem?: string }): SandboxSupport {
  if (mode === 'off') {
    return { mode, commands: 'none', summary: 'project commands run unsandboxed: MAESTRO_SANDBOX is off' };
  }
  const probed = probe ?? (lastProbe ??= probeSandbox());
  if (probed.bwrap) {
    return {
      mode,
      bwrap: probed.bwrap,
      commands: 'bwrap',
      summary: `project commands run in a bubblewrap sandbox (${probed.bwrap})`,
    };
  }
  return mode === 'required'
    ? {
        mode,
        problem: probed.problem,
        commands: 'refused',
        summary: `project commands are refused: ${probed.problem}; MAESTRO_SANDBOX=required (set it to optional to run them unsandboxed)`,
      }
    : {
        mode,
        problem: probed.problem,
        commands: 'none',
        summary: `project commands run UNSANDBOXED, with this user's full rights: ${probed.problem}; set MAESTRO_SANDBOX=required to refuse that`,
      };
}

/** Says at start where project commands will run: an error when unsandboxed (or refused) though not switched off. */
export function announceSandbox(log: Logger, mode: SandboxMode): SandboxSupport {
  const support = sandboxSupport(mode);
  if (support.commands === 'bwrap') log.info({ bwrap: support.bwrap }, support.summary);
  else if (mode === 'off') log.warn({ sandbox: mode }, support.summary);
  else log.error({ sandbox: mode, problem: support.problem }, support.summary);
  return support;
}

/**
 * Folders and files of the home folder a command has no business reading: credentials, the
 * programs' settings (`.config`: gcloud's, gh's and the rest), git's settings, shell and REPL histories.
 */
const HOME_SECRET_DIRS = ['.ssh', '.aws', '.azure', '.gnupg', '.kube', '.docker', '.config'];
const HOME_SECRET_FILES = [
  '.npmrc',
  '.netrc',
  '.git-credentials',
  '.gitconfig',
  '.pgpass',
  '.yarnrc',
  '.pypirc',
  '.bash_history',
  '.zsh_history',
  '.history',
  '.sh_history',
  '.python_history',
  '.node_repl_history',
  '.psql_history',
  '.mysql_history',
  '.sqlite_history',
  '.lesshst',
  '.viminfo',
];
/** Sockets that hand out their owner's rights (the container engines'), and the users' runtime folders. */
const SOCKETS = [
  '/run/docker.sock',
  '/var/run/docker.sock',
  '/run/containerd/containerd.sock',
  '/run/podman/podman.sock',
];
const RUNTIME_DIRS = ['/run/user'];

export interface PreparedSandbox {
  file: string;
  args: string[];
  /** Where the command's TMPDIR, HOME and XDG_CACHE_HOME point; GIT_OPTIONAL_LOCKS=0 (its index is read-only). */
  env: Record<string, string>;
  plan: SandboxPlan;
  /** Removes the private temporary folder. */
  cleanup(): void;
}

/**
 * The sandbox of one command: a private temporary folder, and the plan for bubblewrap: the
 * worktree (`cwd`) writable, Maestro's data folder and the home folder's secrets hidden.
 */
export function prepareSandbox(options: {
  bwrap: string;
  cwd: string;
  dataDir: string;
  network: boolean;
  command: readonly string[];
  /** Where the private temporary folders are made; the system's by default. */
  tmpRoot?: string;
  /**
   * The project's folder kept between commands (`<dataDir>/cache/<project>`, made when missing):
   * HOME and XDG_CACHE_HOME, so what an install puts there (Go's modules, ~/.m2, browsers) is
   * there for the tests. Without one HOME is the private /tmp.
   */
  cacheDir?: string;
  /** More files to hide: Maestro's config file (it may hold the database's password). */
  hiddenFiles?: readonly string[];
}): PreparedSandbox {
  const cwd = realpathSync(options.cwd);
  const dotGit = path.join(cwd, '.git');
  let hasDotGit = false;
  try {
    // A link would be followed by the mount, leaving the link itself writable.
    if (lstatSync(dotGit).isSymbolicLink()) throw new Error(`${dotGit} is a symbolic link`);
    hasDotGit = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  let cacheDir: string | undefined;
  if (options.cacheDir) {
    mkdirSync(options.cacheDir, { recursive: true });
    cacheDir = realpathSync(options.cacheDir);
  }
  const tmpDir = mkdtempSync(path.join(options.tmpRoot ?? os.tmpdir(), 'maestro-sandbox-'));
  try {
    const home = os.homedir();
    const existing = (paths: string[], kind: 'dir' | 'file') =>
      paths.filter((entry) => {
        try {
          const stat = statSync(entry);
          return kind === 'dir' ? stat.isDirectory() : !stat.isDirectory();
        } catch {
          return false;
        }
      });
    const dataDir = existsSync(options.dataDir) ? realpathSync(options.dataDir) : path.resolve(options.dataDir);
    const hiddenDirs = [
      ...(existsSync(dataDir) ? [dataDir] : []),
      ...existing(
        HOME_SECRET_DIRS.map((dir) => path.join(home, dir)),
        'dir',
      ),
      ...existing(RUNTIME_DIRS, 'dir'),
    ];
    const hiddenFiles = existing(
      [
        ...HOME_SECRET_FILES.map((file) => path.join(home, file)),
        ...SOCKETS,
        ...(options.hiddenFiles ?? []).map((file) => (existsSync(file) ? realpathSync(file) : file)),
      ],
      'file',
      // One in a hidden folder is covered already, unless the worktree, mounted over that folder, holds it.
    ).filter((file) => isInside(file, cwd) || !hiddenDirs.some((dir) => isInside(file, dir)));
    const plan: SandboxPlan = {
      worktree: cwd,
      cwd,
      tmpDir,
      installDir: projectRoot(),
      hiddenDirs,
      hiddenFiles,
      git: linkedWorktreeGit(cwd),
      ...(hasDotGit ? { dotGit } : {}),
      ...(cacheDir ? { cacheDir } : {}),
      network: options.network,
    };
    return {
      file: options.bwrap,
      args: bwrapArgs(plan, options.command),
      env: {
        TMPDIR: SANDBOX_TMP,
        HOME: cacheDir ?? SANDBOX_TMP,
        ...(cacheDir ? { XDG_CACHE_HOME: path.join(cacheDir, '.cache') } : {}),
        // git status in a test must not try to refresh the index: it is read-only.
        GIT_OPTIONAL_LOCKS: '0',
      },
      plan,
      cleanup: () => rmSync(tmpDir, { recursive: true, force: true }),
    };
  } catch (error) {
    rmSync(tmpDir, { recursive: true, force: true });
    throw error;
  }
}

/** A linked worktree's `.git` is a file naming its folder in the repository's git folder. */
function linkedWorktreeGit(worktree: string): SandboxPlan['git'] {
  const dotGit = path.join(worktree, '.git');
  let text: string;
  try {
    if (!statSync(dotGit).isFile()) return undefined;
    text = readFileSync(dotGit, 'utf8');
  } catch {
    return undefined;
  }
  const match = /^gitdir:\s*(.+)$/m.exec(text);
  if (!match) return undefined;
  const adminDir = realpathSync(path.resolve(worktree, match[1]!.trim()));
  let commonDir = path.resolve(adminDir, '..', '..');
  try {
    commonDir = path.resolve(adminDir, readFileSync(path.join(adminDir, 'commondir'), 'utf8').trim());
  } catch {
    // an old layout without the file: <common>/worktrees/<name>
  }
  commonDir = realpathSync(commonDir);
  // Only the usual layout: anything else gets no view of the repository rather than a wrong one.
  if (path.dirname(adminDir) !== path.join(commonDir, 'worktrees')) return undefined;
  return { commonDir, adminDir };
}
