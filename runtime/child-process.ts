import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createInterface } from 'node:readline';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedProcessOptions {
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
  /** Append stdout and stderr to this file instead of piping them to `onLine`. */
  logFile?: string;
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Open an IPC channel, so a Node child notices when this process dies (`disconnect`). */
  ipc?: boolean;
}

const RECENT_LINES = 30;
const OUTPUT_DRAIN_MS = 1_000;

/**
 * A long-lived child in its own process group: Ctrl-C in the terminal reaches only the supervisor,
 * which then stops children in order, and stopping a child stops everything it started.
 */
export class ManagedProcess {
  readonly exited: Promise<ExitInfo>;
  private exitInfo: ExitInfo | undefined;
  private readonly recent: string[] = [];

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly logFile: string | undefined,
  ) {
    const outputClosed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        const exitInfo = { code, signal };
        this.exitInfo = exitInfo;
        // 'exit' can come before the last lines the process printed have been read: wait for its
        // output to close, but not for a descendant that still holds the pipe open.
        void settlesWithin(outputClosed, OUTPUT_DRAIN_MS).then(() => resolve(exitInfo));
      });
    });
  }

  static async start(options: ManagedProcessOptions): Promise<ManagedProcess> {
    const logFd = options.logFile ? openSync(options.logFile, 'a') : undefined;
    const output = logFd ?? 'pipe';
    const child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env,
      uid: options.uid,
      gid: options.gid,
      detached: true,
      stdio: options.ipc ? ['ignore', output, output, 'ipc'] : ['ignore', output, output],
    });
    if (logFd !== undefined) closeSync(logFd);
    const managed = new ManagedProcess(options.name, child, options.logFile);
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    for (const [stream, readable] of [
      ['stdout', child.stdout],
      ['stderr', child.stderr],
    ] as const) {
      if (!readable) continue;
      createInterface({ input: readable, crlfDelay: Infinity }).on('line', (line) => {
        managed.remember(line);
        options.onLine?.(line, stream);
      });
    }
    return managed;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /** The last lines the process printed, to explain why it stopped. */
  recentOutput(): string {
    if (this.logFile) return tailOfFile(this.logFile, RECENT_LINES);
    return this.recent.join('\n');
  }

  signal(signal: NodeJS.Signals): void {
    signalGroup(this.pid, signal);
  }

  /**
   * Asks the process (the group's leader) to stop with `signal` and waits for it; then ends whatever
   * is left of its group. The leader goes first so a draining worker is not robbed of the commands
   * it is waiting for; past `timeoutMs` the whole group is killed.
   */
  async stop(signal: NodeJS.Signals, timeoutMs: number): Promise<ExitInfo> {
    if (this.running) signalProcess(this.pid, signal);
    const stopped = await settlesWithin(this.exited, timeoutMs);
    if (stopped && processGroupAlive(this.pid)) {
      signalGroup(this.pid, 'SIGTERM');
      await waitForGroupExit(this.pid, 2_000);
    }
    if (processGroupAlive(this.pid)) {
      signalGroup(this.pid, 'SIGKILL');
      await waitForGroupExit(this.pid, 5_000);
    }
    return this.exited;
  }

  private remember(line: string) {
    this.recent.push(line);
    if (this.recent.length > RECENT_LINES) this.recent.shift();
  }
}

/** Whether the promise settles within `ms`; the timer does not outlive the answer. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const timer = new AbortController();
  const timedOut = sleep(ms, false, { signal: timer.signal }).catch(() => false);
  const settled = await Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    timedOut,
  ]);
  timer.abort();
  return settled;
}

export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

export function processGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function waitForGroupExit(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (processGroupAlive(pgid)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

export function tailOfFile(file: string, lines: number): string {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = fstatSync(fd).size;
    const length = Math.min(size, 64 * 1024);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return buffer
      .toString('utf8')
      .split('\n')
      .slice(-lines - 1)
      .join('\n')
      .trim();
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
