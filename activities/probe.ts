import os from 'node:os';
import { Context } from '@temporalio/activity';
import type { QueueName } from '../domain/queues.js';

export interface ProbeReport {
  queue: QueueName;
  taskQueue: string;
  pid: number;
  host: string;
  /** 1 unless the task had to be retried (a worker died, or was stopped without draining). */
  attempt: number;
}

export interface ProbeInput {
  /** Keep the task for this long, heartbeating, to watch a worker drain its running tasks. */
  holdMs?: number;
}

const HEARTBEAT_MS = 500;

/** Answers on every role queue, so a probe workflow proves each queue's workers execute work. */
export function createProbeActivities(queue: QueueName) {
  return {
    async probe({ holdMs = 0 }: ProbeInput = {}): Promise<ProbeReport> {
      const context = Context.current();
      for (let held = 0; held < holdMs; held += HEARTBEAT_MS) {
        context.heartbeat({ held });
        await context.sleep(Math.min(HEARTBEAT_MS, holdMs - held));
      }
      return {
        queue,
        taskQueue: context.info.taskQueue,
        pid: process.pid,
        host: os.hostname(),
        attempt: context.info.attempt,
      };
    },
  };
}

export type ProbeActivities = ReturnType<typeof createProbeActivities>;
