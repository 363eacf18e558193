import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { NativeConnection, WorkerOptions } from '@temporalio/worker';
import { defaultActivitySlots } from '../domain/config.js';
import { TASK_QUEUES, type QueueName } from '../domain/queues.js';
import { activityTimingInterceptor } from './activity-timing.js';
import { runningActivitiesFolder, runningActivitiesInterceptor } from './running-activities.js';
import type { ActivityRunRecorder } from '../data/activity-runs.js';
import type { PrismaClient } from '../data/prisma.js';
import type { LoadedConfig } from '../runtime/config.js';
import type { Logger } from '../runtime/log.js';

export type ActivityQueueName = Exclude<QueueName, 'workflows' | 'models'>;

/** What every queue's worker is built from; one per worker process. */
export interface WorkerContext {
  config: LoadedConfig;
  connection: NativeConnection;
  namespace: string;
  /** The queues this process hosts, for the worker identity. */
  queues: QueueName[];
  log: Logger;
  /** The process's one Prisma client, created on first use. */
  prisma(): PrismaClient;
  /** Where every worker of the process sends its activity timings. */
  activityRuns: ActivityRunRecorder;
}

/** Identifies the process in Temporal's poller lists: `<pid>@<host>/maestro:<queues>`. */
export function workerIdentity(queues: QueueName[]): string {
  return `${process.pid}@${os.hostname()}/maestro:${queues.join('+')}`;
}

/**
 * How often a running activity's heartbeat reaches the server at most. Left to the SDK it is 80% of
 * the heartbeat timeout, which leaves a busy machine a fifth of the timeout to deliver it before the
 * server presumes the worker dead and runs the work again (paying its model calls twice): a quarter
 * leaves three quarters.
 */
export function heartbeatThrottleMs(heartbeatTimeoutMs: number): number {
  return Math.max(250, Math.min(Math.floor(heartbeatTimeoutMs / 4), 10_000));
}

/**
 * When a draining worker gives up on its running activities, so that the process is gone within its
 * grace time (after which its supervisor kills it): at `cancelAtMs` they are cancelled (a cancelled
 * attempt is handed back to the server and runs again elsewhere), at `forceAtMs` the SDK stops
 * waiting for them, and `exitAtMs` is the process's own last word.
 */
export function drainTimes(graceMs: number): { cancelAtMs: number; forceAtMs: number; exitAtMs: number } {
  const forceAtMs = graceMs - Math.min(1_000, Math.floor(graceMs / 8));
  return { cancelAtMs: graceMs - Math.min(5_000, Math.floor(graceMs / 4)), forceAtMs, exitAtMs: graceMs };
}

export function baseWorkerOptions(context: WorkerContext, queue: QueueName) {
  const drain = drainTimes(context.config.workers.shutdownGraceMs);
  return {
    connection: context.connection,
    namespace: context.namespace,
    taskQueue: TASK_QUEUES[queue],
    identity: workerIdentity(context.queues),
    shutdownGraceTime: drain.cancelAtMs,
    ...(drain.forceAtMs > 0 ? { shutdownForceTime: drain.forceAtMs } : {}),
    maxHeartbeatThrottleInterval: heartbeatThrottleMs(context.config.subtasks.heartbeatTimeoutMs),
    interceptors: {
      activity: [
        activityTimingInterceptor(context.activityRuns, queue),
        runningActivitiesInterceptor(runningActivitiesFolder(context.config.dataDir)),
      ],
    },
  } satisfies Partial<WorkerOptions>;
}

/** A queue's activity slots: as configured, else sized from the cores this process may use. */
export function activitySlots(config: Pick<LoadedConfig, 'workers'>, queue: ActivityQueueName): number {
  return config.workers.queues[queue].maxConcurrentActivities ?? defaultActivitySlots(usableCores())[queue];
}

/**
 * The cores this process may use: the machine's, or fewer under a container's CPU quota (cgroup v2
 * `cpu.max`), which Node 20's `os.availableParallelism()` does not read.
 */
export function usableCores(cpuMax = readCpuMax()): number {
  const cores = os.availableParallelism();
  const [quota, period] = (cpuMax ?? '').trim().split(/\s+/);
  const limit = Number(quota) / Number(period);
  return quota !== 'max' && Number.isFinite(limit) && limit > 0
    ? Math.max(1, Math.min(cores, Math.ceil(limit)))
    : cores;
}

function readCpuMax(): string | undefined {
  try {
    return readFileSync('/sys/fs/cgroup/cpu.max', 'utf8');
  } catch {
    return undefined;
  }
}

/** Options of a worker that runs activities only, with the queue's concurrency from config. */
export function activityWorkerOptions(context: WorkerContext, queue: ActivityQueueName) {
  const settings = context.config.workers.queues[queue];
  return {
    ...baseWorkerOptions(context, queue),
    maxConcurrentActivityTaskExecutions: activitySlots(context.config, queue),
    maxActivitiesPerSecond: settings.maxActivitiesPerSecond,
  } satisfies Partial<WorkerOptions>;
}
