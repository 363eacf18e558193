import os from 'node:os';
import { Context } from '@temporalio/activity';
import type { QueueName } from '../domain/queues.js';

export interface ProbeReport {
  queue: QueueName;
  taskQueue: string;
  pid: number;
  host: string;
}

/** Answers on every role queue, so a probe workflow proves each queue's workers execute work. */
export function createProbeActivities(queue: QueueName) {
  return {
    async probe(): Promise<ProbeReport> {
      return { queue, taskQueue: Context.current().info.taskQueue, pid: process.pid, host: os.hostname() };
    },
  };
}

export type ProbeActivities = ReturnType<typeof createProbeActivities>;
