import { setTimeout as sleep } from 'node:timers/promises';
import { createTRPCClient, httpLink } from '@trpc/client';
import type { AppRouter } from '../web/server/root.js';
import type { SystemStatus } from '../web/server/system-status.js';
import { StackError } from '../runtime/errors.js';
import type { WorkerGroup } from './worker-groups.js';

const READY_TIMEOUT_MS = 120_000;

export interface QueuesReadyWait {
  consoleUrl: string;
  /** The stack's own credential for its API. */
  headers: Record<string, string>;
  groups: WorkerGroup[];
  /** The worker processes' pids now, by group name. */
  pids: () => Map<string, number>;
  /** Throws when a stop came while waiting. */
  assertStillStarting: () => void;
  logsDir: string;
}

/**
 * Ready means Temporal itself lists a live poller of one of our current worker processes on every
 * queue (the API reads DescribeTaskQueue); pollers of an earlier run do not count.
 */
export async function waitUntilAllQueuesPolled(wait: QueuesReadyWait): Promise<void> {
  const api = createTRPCClient<AppRouter>({
    links: [httpLink({ url: `${wait.consoleUrl}/trpc`, headers: wait.headers })],
  });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let status: SystemStatus | undefined;
  while (Date.now() < deadline) {
    wait.assertStillStarting();
    try {
      status = await api.system.status.query();
      if (missingQueues(status.queues, wait.groups, wait.pids()).length === 0) return;
    } catch {
      // the API is still starting
    }
    await sleep(100);
  }
  const missing = status ? missingQueues(status.queues, wait.groups, wait.pids()) : ['the API did not answer'];
  throw new StackError(
    `Not ready after ${READY_TIMEOUT_MS / 1000} s: no worker polls ${missing.join(', ')}; see ${wait.logsDir}.`,
  );
}

/** The task queues no live poller of one of these worker processes polls. */
export function missingQueues(
  queues: SystemStatus['queues'],
  groups: WorkerGroup[],
  pids: Map<string, number>,
): string[] {
  return queues
    .filter((queue) => {
      const ourPids = groups.filter((group) => group.queues.includes(queue.name)).map((group) => pids.get(group.name));
      return !queue.pollers.some(
        (poller) => poller.live && ourPids.some((pid) => poller.identity.startsWith(`${pid}@`)),
      );
    })
    .map((queue) => queue.taskQueue);
}
