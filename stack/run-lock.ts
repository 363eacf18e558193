import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { StackError } from './errors.js';
import { processAlive, processGroupAlive, signalGroup, waitForGroupExit } from './child-process.js';
import type { Logger } from './log.js';

const RunRecord = z.object({
  pid: z.int().positive(),
  startedAt: z.string(),
  /** Every process group the stack started, so a later start can clean up after a crash. */
  groups: z.array(z.object({ name: z.string(), pgid: z.int().positive(), command: z.string() })),
});
type RunRecord = z.infer<typeof RunRecord>;

/**
 * One running stack per data folder. The record of what a stack started lets the next start clean up
 * processes a killed supervisor left behind.
 */
export class RunLock {
  private record: RunRecord;

  private constructor(private readonly file: string) {
    this.record = { pid: process.pid, startedAt: new Date().toISOString(), groups: [] };
  }

  static async acquire(file: string, dataDir: string, log: Logger): Promise<RunLock> {
    const previous = readRecord(file);
    if (previous && previous.pid !== process.pid && processAlive(previous.pid) && isMaestroStack(previous.pid)) {
      throw new StackError(
        `Maestro is already running from ${dataDir} (pid ${previous.pid}): stop it first (Ctrl-C in its terminal, or kill ${previous.pid}).`,
      );
    }
    for (const group of previous?.groups ?? []) {
      if (!processGroupAlive(group.pgid) || !commandMatches(group.pgid, group.command)) continue;
      log.warn({ process: group.name, pgid: group.pgid }, 'stopping a process left behind by an unclean stop');
      signalGroup(group.pgid, 'SIGTERM');
      if (!(await waitForGroupExit(group.pgid, 10_000))) {
        signalGroup(group.pgid, 'SIGKILL');
        await waitForGroupExit(group.pgid, 5_000);
      }
    }
    const lock = new RunLock(file);
    lock.save();
    return lock;
  }

  track(name: string, pgid: number, command: string): void {
    this.record.groups = [...this.record.groups.filter((group) => group.name !== name), { name, pgid, command }];
    this.save();
  }

  release(): void {
    rmSync(this.file, { force: true });
  }

  private save() {
    writeFileSync(this.file, `${JSON.stringify(this.record, null, 2)}\n`);
  }
}

function readRecord(file: string): RunRecord | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return RunRecord.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    return undefined;
  }
}

/** Guards against a recycled pid: on Linux, the recorded pid must still be a Maestro stack. */
function isMaestroStack(pid: number): boolean {
  return commandMatches(pid, 'stack/main');
}

function commandMatches(pid: number, fragment: string): boolean {
  if (!existsSync('/proc/self/cmdline')) return true;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(fragment);
  } catch {
    return false;
  }
}
