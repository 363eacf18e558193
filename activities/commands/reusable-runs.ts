import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { SuiteRun } from '../../domain/checks.js';
import type { ReusePolicy, SuiteConfig } from '../../domain/project.js';
import { git } from '../../git/git.js';
import type { CommandLimits, CommandSandbox } from './run-command.js';

/*
 * A test command's result depends on the files it reads and on its surroundings. In one worktree,
 * with the same command, limits, environment and sandbox, and without the network, the only inputs
 * left are the files: the tracked and untracked ones (a git tree, the key the flaky detection uses)
 * and the ignored ones (installed dependencies, build output). A run whose key is the same before
 * and after it (it changed nothing it reads) is kept; a later run with that key takes its result
 * instead of running again.
 */

export interface ReuseOptions {
  /** Where the kept runs of one subtask are (`<subtask folder>/runs`). */
  folder: string;
  /** Which run this is, shown where its result is reused: `run_tests (green, attempt 1)`. */
  source: string;
  /** Take a kept result instead of running (checks); the agent's own `run_tests` always runs. */
  lookUp: boolean;
  policy: ReusePolicy;
  /**
   * Which attempt this run belongs to (`green/2`). A passing result is reused by any later run with
   * the same key; a failing one only within its own attempt (the check after the agent's
   * `run_tests`), so a retry, a rebase's verification or a person's "retry" runs the tests again.
   */
  attempt?: string;
}

export interface RunSurroundings {
  cwd: string;
  /** The suites' report files (repository-relative): written by the runs, left out of the key. */
  reports?: readonly string[];
  suite: SuiteConfig;
  limits: CommandLimits;
  sandbox: CommandSandbox;
  env: Record<string, string>;
}

/** Where a subtask's kept runs are: beside its logs, which they point to. */
export function keptRunsFolder(logDir: string): string {
  return path.join(path.dirname(logDir), 'runs');
}

/** Whether a suite's runs may be kept and reused under this policy and sandbox (never with the network on). */
export function mayReuse(policy: ReusePolicy, sandbox: CommandSandbox): boolean {
  if (policy === 'never') return false;
  if (policy === 'always') return true;
  return sandbox.kind === 'bwrap' && !sandbox.network;
}

/** The key of everything a run of this suite reads, or undefined when git cannot say (the run is then not kept). */
export async function runKey(surroundings: RunSurroundings): Promise<string | undefined> {
  try {
    const [tree, ignored] = await Promise.all([
      workingTree(surroundings.cwd, surroundings.reports ?? []),
      ignoredFilesFingerprint(surroundings.cwd, surroundings.reports ?? []),
    ]);
    return createHash('sha256')
      .update(
        JSON.stringify({
          tree,
          ignored,
          cwd: surroundings.cwd,
          command: surroundings.suite.command,
          report: surroundings.suite.report ?? null,
          limits: surroundings.limits,
          sandbox: surroundings.sandbox,
          env: Object.entries(surroundings.env).sort(([a], [b]) => a.localeCompare(b)),
          node: process.version,
        }),
      )
      .digest('hex');
  } catch {
    return undefined;
  }
}

const KeptRun = z.object({
  suite: z.string(),
  command: z.string(),
  exitCode: z.number().nullable(),
  outcome: z.literal('exited'),
  durationMs: z.number(),
  outputTail: z.string(),
  logFile: z.string(),
  source: z.string(),
  ranAt: z.string(),
  attempt: z.string().optional(),
  tests: z.array(z.any()).optional(),
  summary: z.any().optional(),
  limits: z.any().optional(),
});

/**
 * The kept run with this key, as a reused run: a passing one, or a failing one of the same attempt;
 * undefined when there is none or it cannot be read (it is then run again).
 */
export function keptRun(folder: string, key: string, attempt?: string): SuiteRun | undefined {
  let content: unknown;
  try {
    content = JSON.parse(readFileSync(path.join(folder, `${key}.json`), 'utf8'));
  } catch {
    return undefined;
  }
  const parsed = KeptRun.safeParse(content);
  if (!parsed.success) return undefined;
  const { source, ranAt, attempt: keptBy, ...run } = parsed.data;
  if (run.exitCode !== 0 && (attempt === undefined || keptBy !== attempt)) return undefined;
  return { ...(run as SuiteRun), reused: { source, ranAt } };
}

/** Keeps a run that ended on its own (not stopped) and changed nothing it reads; a failure to keep it is only a later run's cost. */
export function keepRun(
  folder: string,
  key: string,
  run: SuiteRun,
  kept: { source: string; ranAt: Date; attempt?: string },
): void {
  if (run.outcome !== 'exited' || run.reused) return;
  const file = path.join(folder, `${key}.json`);
  const scratch = `${file}.${process.pid}-${randomUUID()}.tmp`;
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    writeFileSync(
      scratch,
      JSON.stringify({ ...run, source: kept.source, ranAt: kept.ranAt.toISOString(), attempt: kept.attempt }),
      { mode: 0o600 },
    );
    renameSync(scratch, file);
  } catch {
    rmSync(scratch, { force: true });
  }
}

/**
 * Forgets every kept run of a subtask: an agent wrote a file where the key does not look (deep in
 * an ignored folder such as `node_modules` or `dist`, which counts as one entry).
 */
export function forgetKeptRuns(folder: string): void {
  rmSync(folder, { recursive: true, force: true });
}

/** An agent wrote this file (worktree-relative): the kept runs go if git ignores it (else the tree says it). */
export function forgetKeptRunsIfIgnored(folder: string, worktree: string, file: string): void {
  try {
    execFileSync('git', ['-c', 'core.fsmonitor=false', 'check-ignore', '-q', '--', file], {
      cwd: worktree,
      stdio: 'ignore',
    });
  } catch (error) {
    // 1: not ignored, the key sees it; anything else: not known, so forget.
    if ((error as { status?: number }).status === 1) return;
  }
  forgetKeptRuns(folder);
}

/** The tree of the worktree as it is now, untracked files included, written from a scratch copy of its index. */
async function workingTree(cwd: string, reports: readonly string[]): Promise<string> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'maestro-tree-'));
  try {
    const index = path.resolve(cwd, await git(cwd, ['rev-parse', '--git-path', 'index']));
    const scratchIndex = path.join(scratch, 'index');
    // A copy keeps the index's file stats, so only files that changed are read again.
    if (existsSync(index)) {
      copyFileSync(index, scratchIndex);
      // The index's own time is git's guard against racy stats: the copy keeps it.
      const { atime, mtime } = statSync(index);
      utimesSync(scratchIndex, atime, mtime);
    }
    const env = { GIT_INDEX_FILE: scratchIndex };
    await git(cwd, ['add', '--all', '--', '.'], undefined, env);
    // The reports the runs write are not what a run reads (an ignored one is not added at all).
    if (reports.length > 0)
      await git(
        cwd,
        ['rm', '--cached', '--quiet', '--ignore-unmatch', '--', ...reports.map((report) => `:(literal)${report}`)],
        undefined,
        env,
      );
    return await git(cwd, ['write-tree'], undefined, env);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * The ignored files and folders git lists (a folder wholly ignored is one entry), with their size and
 * modification time: an ignored file added, removed or rewritten at the top of the worktree, or an
 * entry added to or removed from an ignored folder, changes it; a file rewritten deep inside an
 * ignored folder does not (an agent's writes forget the kept runs instead: `forgetKeptRuns`).
 */
async function ignoredFilesFingerprint(cwd: string, reports: readonly string[]): Promise<string> {
  const listed = await git(cwd, [
    'ls-files',
    '-z',
    '--others',
    '--ignored',
    '--exclude-standard',
    '--directory',
    '--no-empty-directory',
  ]);
  const hash = createHash('sha256');
  // A report, or an ignored folder that holds one (it comes and goes with the report), is not read.
  const holdsReport = (entry: string) =>
    reports.some((report) => report === entry || (entry.endsWith('/') && report.startsWith(entry)));
  for (const entry of listed
    .split('\0')
    .filter((entry) => entry && !holdsReport(entry))
    .sort()) {
    const stat = statSync(path.join(cwd, entry), { throwIfNoEntry: false });
    hash.update(`${entry}\0${stat?.size ?? -1}\0${stat?.mtimeMs ?? -1}\n`);
  }
  return hash.digest('hex');
}
