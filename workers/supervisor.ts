import { ManagedProcess, type ExitInfo } from '../runtime/child-process.js';
import type { Logger } from '../runtime/log.js';

export interface SupervisedProcessSpec {
  name: string;
  /** A Node script, run with this Node binary and an IPC channel (children stop when we vanish). */
  script: string;
  /** Options for Node itself, before the script. */
  nodeOptions: string[];
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** How long a stop waits for a graceful exit before killing the process group. */
  stopTimeoutMs: number;
}

export interface SupervisorHooks {
  onOutput(name: string, line: string, stream: 'stdout' | 'stderr'): void;
  onSpawn(spec: SupervisedProcessSpec, pid: number): void;
}

/** Restart delays after consecutive quick crashes; always under the 5 s promise. */
export const RESTART_DELAYS_MS = [250, 1_000, 2_000, 4_000] as const;
/** A child that ran this long is healthy again: its next crash restarts at the shortest delay. */
const HEALTHY_AFTER_MS = 30_000;

interface Supervised {
  spec: SupervisedProcessSpec;
  /** The running child; undefined only while the first spawn is in flight. */
  process?: ManagedProcess;
  /** The spawn in flight, if any: a stop waits for it, then stops what it started. */
  spawning?: Promise<void>;
  startedAt: number;
  restarts: number;
  quickCrashes: number;
  stopping: boolean;
  restartTimer?: NodeJS.Timeout;
}

/**
 * Keeps Maestro's worker and API processes running: a child that exits without being asked is
 * restarted within seconds, and the reason (exit code or signal, last output) is logged.
 */
export class Supervisor {
  private readonly children = new Map<string, Supervised>();

  constructor(
    private readonly log: Logger,
    private readonly hooks: SupervisorHooks,
  ) {}

  async start(spec: SupervisedProcessSpec): Promise<void> {
    if (this.children.has(spec.name)) throw new Error(`${spec.name} is already supervised`);
    const entry: Supervised = { spec, startedAt: Date.now(), restarts: 0, quickCrashes: 0, stopping: false };
    this.children.set(spec.name, entry);
    entry.spawning = this.spawn(spec).then((child) => {
      entry.process = child;
      this.watch(entry, child);
    });
    try {
      await entry.spawning;
    } catch (error) {
      this.children.delete(spec.name);
      throw error;
    } finally {
      entry.spawning = undefined;
    }
  }

  /** Stops these children together (SIGTERM, then SIGKILL after their timeout); no restarts. */
  async stop(names: string[]): Promise<void> {
    await Promise.all(
      names.map(async (name) => {
        const entry = this.children.get(name);
        if (!entry) return;
        entry.stopping = true;
        clearTimeout(entry.restartTimer);
        await entry.spawning?.catch(() => undefined);
        if (entry.process?.running) {
          const exit = await entry.process.stop('SIGTERM', entry.spec.stopTimeoutMs);
          this.log.info({ child: name, ...exit }, `${name} stopped`);
        }
        this.children.delete(name);
      }),
    );
  }

  /** Kills every child's process group at once: the last resort of a forced stop. */
  killAll(): void {
    for (const entry of this.children.values()) {
      entry.stopping = true;
      clearTimeout(entry.restartTimer);
      entry.process?.signal('SIGKILL');
    }
  }

  names(): string[] {
    return [...this.children.keys()];
  }

  pids(): Map<string, number> {
    return new Map(
      [...this.children].flatMap(([name, entry]) => (entry.process ? [[name, entry.process.pid] as const] : [])),
    );
  }

  private async spawn(spec: SupervisedProcessSpec): Promise<ManagedProcess> {
    const child = await ManagedProcess.start({
      name: spec.name,
      command: process.execPath,
      args: [...spec.nodeOptions, spec.script, ...spec.args],
      env: spec.env,
      cwd: spec.cwd,
      ipc: true,
      onLine: (line, stream) => this.hooks.onOutput(spec.name, line, stream),
    });
    this.hooks.onSpawn(spec, child.pid);
    return child;
  }

  private watch(entry: Supervised, child: ManagedProcess) {
    void child.exited.then((exit) => {
      if (entry.stopping || entry.process !== child) return;
      const ranForMs = Date.now() - entry.startedAt;
      entry.quickCrashes = ranForMs < HEALTHY_AFTER_MS ? entry.quickCrashes + 1 : 1;
      const delay = RESTART_DELAYS_MS[Math.min(entry.quickCrashes, RESTART_DELAYS_MS.length) - 1]!;
      this.log.error(
        {
          child: entry.spec.name,
          pid: child.pid,
          ...exit,
          ranForMs,
          restartInMs: delay,
          lastOutput: child.recentOutput().slice(-2_000),
        },
        `${entry.spec.name} ${describeExit(exit)}; restarting in ${delay} ms`,
      );
      entry.restartTimer = setTimeout(() => void this.restart(entry), delay);
    });
  }

  private async restart(entry: Supervised) {
    if (entry.stopping) return;
    entry.spawning = this.spawn(entry.spec).then(
      (child) => {
        entry.process = child;
        entry.startedAt = Date.now();
        entry.restarts += 1;
        this.log.info(
          { child: entry.spec.name, pid: child.pid, restarts: entry.restarts },
          `${entry.spec.name} restarted`,
        );
        this.watch(entry, child);
      },
      (error: unknown) => {
        this.log.error(
          { child: entry.spec.name, err: error },
          `${entry.spec.name} could not be restarted; trying again`,
        );
        if (!entry.stopping) entry.restartTimer = setTimeout(() => void this.restart(entry), RESTART_DELAYS_MS.at(-1));
      },
    );
    await entry.spawning;
    entry.spawning = undefined;
  }
}

function describeExit(exit: ExitInfo): string {
  if (exit.signal) return `was killed by ${exit.signal}`;
  return `exited with code ${exit.code}`;
}
