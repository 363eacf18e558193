import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { processGroupAlive, signalGroup, waitForGroupExit } from '../runtime/child-process.js';
import { StackError } from '../runtime/errors.js';
import type { Logger } from '../runtime/log.js';
import { commandLineOf } from '../runtime/process-info.js';

const TrackedGroup = z.object({
  name: z.string(),
  pgid: z.int().positive(),
  /** A fragment of the leader's command line, so a recycled pid is never mistaken for ours. */
  match: z.string().min(1),
  stopSignal: z.enum(['SIGTERM', 'SIGINT']),
});
type TrackedGroup = z.infer<typeof TrackedGroup>;

const RunRecord = z.object({
  pid: z.int().positive(),
  startedAt: z.string(),
  groups: z.array(TrackedGroup),
});
type RunRecord = z.infer<typeof RunRecord>;

const STACK_COMMAND = 'stack/main';

/**
 * One running stack per data folder. The record of what a stack started lets the next start clean up
 * processes a killed supervisor left behind.
 */
export class RunLock {
  private readonly record: RunRecord;

  private constructor(private readonly file: string) {
    this.record = { pid: process.pid, startedAt: new Date().toISOString(), groups: [] };
  }

  static async acquire(file: string, dataDir: string, log: Logger): Promise<RunLock> {
    const lock = new RunLock(file);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(file, lock.serialise(), { flag: 'wx' });
        return lock;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const previous = readRecord(file);
      if (previous && previous.pid !== process.pid && commandLineOf(previous.pid)?.includes(STACK_COMMAND)) {
        throw new StackError(
          `Maestro is already running from ${dataDir} (pid ${previous.pid}): stop it first (Ctrl-C in its terminal, or kill ${previous.pid}).`,
        );
      }
      await stopLeftovers(previous?.groups ?? [], log);
      rmSync(file, { force: true });
    }
    throw new StackError(`Another Maestro is starting from ${dataDir} right now: wait for it, or stop it first.`);
  }

  track(group: TrackedGroup): void {
    this.record.groups = [...this.record.groups.filter((tracked) => tracked.name !== group.name), group];
    writeFileSync(this.file, this.serialise());
  }

  /** Removes the record, if it is still this stack's. */
  release(): void {
    if (readRecord(this.file)?.pid === process.pid) rmSync(this.file, { force: true });
  }

  private serialise(): string {
    return `${JSON.stringify(this.record, null, 2)}\n`;
  }
}

/** Stops what a stack killed without a chance to clean up had started, newest first. */
async function stopLeftovers(groups: TrackedGroup[], log: Logger) {
  for (const group of [...groups].reverse()) {
    if (!processGroupAlive(group.pgid) || !commandLineOf(group.pgid)?.includes(group.match)) continue;
    log.warn({ process: group.name, pgid: group.pgid }, 'stopping a process left behind by an unclean stop');
    signalGroup(group.pgid, group.stopSignal);
    if (!(await waitForGroupExit(group.pgid, 15_000))) {
      signalGroup(group.pgid, 'SIGKILL');
      await waitForGroupExit(group.pgid, 5_000);
    }
  }
}

function readRecord(file: string): RunRecord | undefined {
  try {
    return RunRecord.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    return undefined;
  }
}
