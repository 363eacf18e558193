import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { splitCommandLine } from './command-line.js';
import { commandEnvironment } from '../../domain/command-environment.js';

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

export interface RunCommandOptions {
  /** One program and its arguments, as a string (`npm test -- --reporter junit`): never a shell. */
  command: string;
  cwd: string;
  /** Appended with everything the command prints. */
  logFile: string;
  limits?: Partial<CommandLimits>;
  env?: Record<string, string>;
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
 * never stopped before that limit. The whole group is stopped, so no orphan survives.
 */
export async function runCommand(options: RunCommandOptions): Promise<CommandResult> {
  const limits = { ...DEFAULT_COMMAND_LIMITS, ...options.limits };
  let words: string[];
  try {
    words = splitCommandLine(options.command);
  } catch (error) {
    return {
      command: options.command,
      exitCode: null,
      signal: null,
      outcome: 'failed_to_start',
      durationMs: 0,
      outputTail: (error as Error).message,
      logFile: options.logFile,
      warnings: [],
    };
  }
  const [file, ...args] = words;
  mkdirSync(path.dirname(options.logFile), { recursive: true });
  const log = createWriteStream(options.logFile, { flags: 'a' });
  log.write(`$ ${options.command}\n`);

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
    env: { ...commandEnvironment(process.env, options.secretEnvNames), ...options.env },
    extendEnv: false,
    stdin: 'ignore',
    all: true,
    buffer: false,
    reject: false,
    detached: true,
    cleanup: true,
  });

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
    return {
      command: options.command,
      exitCode: result.exitCode ?? null,
      signal: result.signal ?? null,
      outcome,
      durationMs: Date.now() - started,
      outputTail: tail,
      logFile: options.logFile,
      warnings,
    };
  } finally {
    clearInterval(ticker);
    clearTimeout(stopTimer);
    options.signal?.removeEventListener('abort', onAbort);
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
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
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
