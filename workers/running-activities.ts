import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ActivityNotFoundError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { WORKER_DIED } from '../domain/agent-failure.js';
import { processAlive } from '../runtime/child-process.js';
import { THIS_HOST, startTimeOf } from '../runtime/process-info.js';
import type { Logger } from '../runtime/log.js';

/** Where this host's worker processes note the activities they are running (one file each). */
export function runningActivitiesFolder(dataDir: string): string {
  return path.join(dataDir, 'run', 'activities');
}

/**
 * Notes every activity this process runs (its task token, in a file named by the process's pid)
 * until it ends. The server only learns that a worker died when its heartbeats stop; with these
 * notes the next worker to start on the host fails the dead one's activities at once (see below).
 */
export function runningActivitiesInterceptor(folder: string): ActivityInterceptorsFactory {
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  return (context) => ({
    inbound: {
      async execute(input, next) {
        const { taskToken, isLocal } = context.info;
        if (isLocal) return next(input);
        const file = path.join(
          folder,
          `${THIS_HOST}-${process.pid}-${startTimeOf(process.pid)}-${createHash('sha256').update(taskToken).digest('hex').slice(0, 32)}.token`,
        );
        try {
          writeFileSync(file, Buffer.from(taskToken).toString('base64'), { mode: 0o600 });
        } catch {
          // Without its note the activity is still retried: after its heartbeat timeout.
        }
        try {
          return await next(input);
        } finally {
          rmSync(file, { force: true });
        }
      },
    },
  });
}

/**
 * Fails the activities that worker processes of this host were running when they died (their pid
 * is gone), so that Temporal retries them now instead of after their heartbeat timeout.
 */
export async function failActivitiesOfDeadWorkers(client: Client, folder: string, log: Logger): Promise<number> {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return 0;
  }
  let failed = 0;
  for (const name of names) {
    const note = /^(\w+)-(\d+)-(\d+)-\w+\.token$/.exec(name);
    // Another host's notes (a data folder shared between machines or containers) are its own to check.
    if (!note || note[1] !== THIS_HOST) continue;
    const pid = Number(note[2]);
    // Alive, unless the pid now names another process (started at another time).
    if (pid === process.pid || (processAlive(pid) && startTimeOf(pid) === note[3])) continue;
    const file = path.join(folder, name);
    try {
      const taskToken = new Uint8Array(Buffer.from(readFileSync(file, 'utf8'), 'base64'));
      await client.activity.fail(
        taskToken,
        ApplicationFailure.retryable(`its worker process (pid ${pid}) died while running it`, WORKER_DIED),
      );
      failed++;
    } catch (error) {
      // Finished, timed out or retried already: nothing is left to fail.
      if (!(error instanceof ActivityNotFoundError))
        log.warn({ err: error, pid }, 'could not fail a dead worker activity');
    }
    rmSync(file, { force: true });
  }
  if (failed > 0)
    log.info({ activities: failed }, `failed ${failed} activities of dead worker processes: they run again now`);
  return failed;
}
