import { createWriteStream, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { quote } from 'shell-quote';
import { splitCommandLine } from './command-line.js';
import { type DirectNpmScript, directNpmScript, npmExitCodeForSignal } from './npm-script.js';
import { projectCommandEnvironment } from '../../runtime/child-env.js';
import { noteCommandGroup } from '../../runtime/command-groups.js';
import { type PreparedSandbox, findOnPath, prepareSandbox } from '../../runtime/sandbox.js';

export interface CommandLimits {
  /** Warn when the command has printed nothing for this long. */
  silenceWarningMs: number;
  /** Stop it when it has printed nothing for this long. */
  silenceKillMs: number;
  /** Stop it after this long whatever it prints. */
  maxDurationMs: number;
}

export const DEFAULT_COMMAND_LIMITS: CommandLimits = {
  silenceWarningMs: 30_000,
  silenceKillMs: 60_000,
  maxDurationMs: 30 * 60_000,
};

export interface CommandProgress {
  elapsedMs: number;
  outputBytes: number;
  silentForMs: number;
}

/**
 * Where a command runs: in a bubblewrap sandbox (the worktree, `cwd`, writable; the data folder
 * hidden; the network only when allowed), or unsandboxed, and why (`commandSandbox` decides).
 */
export type CommandSandbox =
  | {
      kind: 'bwrap';
      bwrap: string;
      /** Maestro's data folder: the other worktrees, the database's files, the logs. */
      dataDir: string;
      network: boolean;
      /** Where the command's private temporary folder is made; the system's by default. */
      tmpRoot?: string;
      /** The project's folder kept between its commands: their HOME (`<dataDir>/cache/<project>`). */
      cacheDir?: string;
      /** More files the command may not read (Maestro's config file). */
      hiddenFiles?: readonly string[];
    }
  | { kind: 'none'; reason: string };

export interface RunCommandOptions {
  /** One program and its arguments, as a string (`npm test -- --reporter junit`): never a shell. */
  command: string;
  cwd: string;
  /** Appended with everything the command prints. */
  logFile: string;
  limits?: Partial<CommandLimits>;
  env?: Record<string, string>;
  /** Every project command says where it runs: there is no default. */
  sandbox: CommandSandbox;
  /**
   * `npm test`, `npm run <name> [-- args]`: run the script's program itself, with npm's
   * environment, where that is the same as running npm (see directNpmScript); true by default.
   */
  directNpmScripts?: boolean;
  /** More environment variables to keep from the command (the model key's, when it has an unusual name). */
  secretEnvNames?: readonly string[];
  /** Aborting it stops the command and everything it started. */
  signal?: AbortSignal;
  onWarning?(message: string): void;
  /** Called about once a second: the place to heartbeat. */
  onProgress?(progress: CommandProgress): void;
}

export type CommandOutcome = 'exited' | 'killed_silent' | 'killed_max_duration' | 'cancelled' | 'failed_to_start';

export interface CommandResult {
  command: string;
  exitCode: number | null;
  signal: string | null;
  outcome: CommandOutcome;
  durationMs: number;
  /** The last 2,000 characters it printed. */
  outputTail: string;
  logFile: string;
  warnings: string[];
}

const TAIL_CHARS = 2_000;
const KILL_GRACE_MS = 5_000;
const REMNANT_GRACE_MS = 2_000;
const TICK_MS = 1_000;

/**
 * The one executor for every command Maestro runs in a target repository: no shell, its own
 * process group, stdin closed, CI=1, Maestro's secrets kept out of its environment, a warning after
 * a silence, a kill after a longer one or at the absolute limit; a command that keeps printing is
 * never stopped before that limit. The whole group is stopped, so no orphan survives. In a
 * sandbox (bubblewrap: its own PID namespace, killed with its parent) even a daemon that left the
 * group ends with the command.
 */
export async function runCommand(options: RunCommandOptions): Promise<CommandResult> {
  const limits = { ...DEFAULT_COMMAND_LIMITS, ...options.limits };
  let words: string[];
  try {
    words = splitCommandLine(options.command);
  } catch (error) {
    return notStarted(options, (error as Error).message);
  }
  let env = { ...projectCommandEnvironment(process.env, options.secretEnvNames), ...options.env };
  const sandboxSpec = options.sandbox;
  // npm costs a node start and its config's load per run: a script it would only hand to sh runs itself.
  let direct: DirectNpmScript | undefined;
  let npmNote: string | undefined;
  if (options.directNpmScripts !== false) {
    try {
      const decision = directNpmScript(words, options.cwd, env, {
        home: sandboxSpec.kind === 'bwrap' ? (sandboxSpec.cacheDir ?? null) : undefined,
      });
      if ('words' in decision) {
        direct = decision;
        words = direct.words;
        env = { ...env, ...direct.env };
        npmNote = `ran npm script "${direct.name}" directly: ${quote(words)}`;
      } else if (decision.name !== undefined) {
        npmNote = `ran npm script "${decision.name}" through npm: ${decision.reason}`;
      }
    } catch (error) {
      npmNote = `ran it as written, not knowing whether npm could be left out: ${(error as Error).message}`;
    }
  }
  const [program] = words;
  mkdirSync(path.dirname(options.logFile), { recursive: true });
  const log = createWriteStream(options.logFile, { flags: 'a' });
  log.write(`$ ${options.command}\n`);
  if (npmNote) log.write(`[maestro] ${npmNote}\n`);
  if (sandboxSpec.kind === 'none') log.write(`[maestro] not sandboxed: ${sandboxSpec.reason}\n`);

  let sandbox: PreparedSandbox | undefined;
  if (sandboxSpec.kind === 'bwrap') {
    // bubblewrap would report a missing program as its own failure: find it first, as outside.
    let problem =
      findOnPath(program!.includes('/') ? path.resolve(options.cwd, program!) : program!, env.PATH) === undefined
        ? `${program}: not found on PATH (ENOENT)`
        : undefined;
    try {
      if (!problem)
        sandbox = prepareSandbox({
          bwrap: sandboxSpec.bwrap,
          cwd: options.cwd,
          dataDir: sandboxSpec.dataDir,
          network: sandboxSpec.network,
          command: words,
          tmpRoot: sandboxSpec.tmpRoot,
          cacheDir: sandboxSpec.cacheDir,
          hiddenFiles: sandboxSpec.hiddenFiles,
        });
    } catch (error) {
      problem = `the sandbox could not be prepared: ${(error as Error).message}`;
    }
    if (!sandbox) {
      log.write(`${problem}\n`);
      await new Promise<void>((resolve) => log.end(resolve));
      return notStarted(options, problem!);
    }
    log.write(
      `[maestro] sandboxed: read-only root, ${sandbox.plan.worktree} and a private /tmp writable, ${sandboxSpec.network ? 'with' : 'no'} network\n`,
    );
  }
  const [file, ...args] = sandbox ? [sandbox.file, ...sandbox.args] : words;

  const started = Date.now();
  let lastOutputAt = started;
  let outputBytes = 0;
  let tail = '';
  let outcome: CommandOutcome = 'exited';
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    log.write(`\n[maestro] ${message}\n`);
    options.onWarning?.(message);
  };

  const child = execa(file!, args, {
    cwd: options.cwd,
    env: { ...env, ...sandbox?.env },
    extendEnv: false,
    stdin: 'ignore',
    all: true,
    buffer: false,
    reject: false,
    detached: true,
    cleanup: true,
  });

  const forgetGroup = child.pid === undefined ? () => undefined : noteCommandGroup(child.pid);

  let stopTimer: NodeJS.Timeout | undefined;
  const stopGroup = (why: CommandOutcome) => {
    if (outcome !== 'exited' || child.pid === undefined) return;
    outcome = why;
    signalGroup(child.pid, 'SIGTERM');
    stopTimer = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), KILL_GRACE_MS);
  };

  child.all?.on('data', (chunk: Buffer) => {
    lastOutputAt = Date.now();
    outputBytes += chunk.length;
    tail = (tail + chunk.toString('utf8')).slice(-TAIL_CHARS);
    log.write(chunk);
  });

  let warnedSilence = false;
  const ticker = setInterval(
    () => {
      const now = Date.now();
      const silentForMs = now - lastOutputAt;
      options.onProgress?.({ elapsedMs: now - started, outputBytes, silentForMs });
      // Once stopped, the group may take a while to go: the stop is said once, not at every tick until then.
      if (outcome !== 'exited') return;
      if (now - started >= limits.maxDurationMs) {
        warn(`\`${options.command}\` ran for ${seconds(limits.maxDurationMs)} s, its limit: stopping it`);
        stopGroup('killed_max_duration');
      } else if (silentForMs >= limits.silenceKillMs) {
        warn(`\`${options.command}\` printed nothing for ${seconds(silentForMs)} s: stopping it as hung`);
        stopGroup('killed_silent');
      } else if (silentForMs >= limits.silenceWarningMs && !warnedSilence) {
        warnedSilence = true;
        warn(
          `\`${options.command}\` has printed nothing for ${seconds(silentForMs)} s; it is stopped at ${seconds(limits.silenceKillMs)} s of silence`,
        );
      } else if (silentForMs < limits.silenceWarningMs) {
        warnedSilence = false;
      }
    },
    Math.min(TICK_MS, limits.silenceWarningMs, limits.silenceKillMs, limits.maxDurationMs),
  );

  const onAbort = () => stopGroup('cancelled');
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });

  // When the command itself ends, whatever it left running in its group goes too (and with it
  // the pipes those leftovers hold open, which would otherwise keep us waiting).
  let remnantsGone: Promise<void> = Promise.resolve();
  child.once('exit', () => {
    if (child.pid !== undefined) remnantsGone = stopGroupRemnants(child.pid);
  });

  try {
    const result = await child;
    if (result.failed && result.exitCode === undefined && result.signal === undefined && outcome === 'exited') {
      outcome = 'failed_to_start';
      tail = `${tail}${result.shortMessage}`.slice(-TAIL_CHARS);
      log.write(`${result.shortMessage}\n`);
    }
    await remnantsGone;
    let exitCode = result.exitCode ?? null;
    let signal = result.signal ?? null;
    // Through npm, a script that a signal ended (not one Maestro sent the group) is sh's exit code: 128 + its number.
    if (direct && signal && exitCode === null && outcome === 'exited') {
      const npmCode = npmExitCodeForSignal(signal);
      if (npmCode !== undefined) {
        log.write(`[maestro] ${program} was ended by ${signal}: exit ${npmCode}, as through npm\n`);
        exitCode = npmCode;
        signal = null;
      }
    }
    return {
      command: options.command,
      exitCode,
      signal,
      outcome,
      durationMs: Date.now() - started,
      outputTail: tail,
      logFile: options.logFile,
      warnings,
    };
  } finally {
    forgetGroup();
    clearInterval(ticker);
    clearTimeout(stopTimer);
    options.signal?.removeEventListener('abort', onAbort);
    sandbox?.cleanup();
    await new Promise<void>((resolve) => log.end(resolve));
  }
}

async function stopGroupRemnants(pgid: number): Promise<void> {
  if (!groupAlive(pgid)) return;
  signalGroup(pgid, 'SIGTERM');
  for (let waited = 0; waited < REMNANT_GRACE_MS && groupAlive(pgid); waited += 50) await sleep(50);
  if (groupAlive(pgid)) signalGroup(pgid, 'SIGKILL');
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !onlyZombies(pgid);
}

/**
 * Whether every process left in the group has ended and waits to be reaped: the sandbox's first
 * process stays a zombie for a moment after bubblewrap has ended, and nothing of it runs any more.
 */
function onlyZombies(pgid: number): boolean {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return false;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // pid (comm) state ppid pgrp …; the command name can hold spaces and parentheses.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') return false;
    } catch {
      // it ended meanwhile
    }
  }
  return true;
}

function signalGroup(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}

function seconds(ms: number): number {
  return Math.round(ms / 1000);
}

/** The result of a command that never ran: why, in place of its output. */
function notStarted(options: RunCommandOptions, why: string): CommandResult {
  return {
    command: options.command,
    exitCode: null,
    signal: null,
    outcome: 'failed_to_start',
    durationMs: 0,
    outputTail: why,
    logFile: options.logFile,
    warnings: [],
  };
}
