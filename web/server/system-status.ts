import type { Client, Connection } from '@temporalio/client';
import type { LoadedConfig } from '../../stack/config.js';
import { type ModelStatus, readModelStatus } from './model-status.js';
import { tsToMs } from '@temporalio/common/lib/time.js';
import proto from '@temporalio/proto';
import { modelTaskQueue } from '../../domain/models.js';
import { QUEUE_NAMES, TASK_QUEUES, type QueueName, taskKindOf } from '../../domain/queues.js';
import type { PrismaClient } from '../../activities/store/prisma.js';
import { redactUrl } from '../../domain/redact.js';

const { temporal } = proto;

/** A poller seen this recently is alive: idle workers renew their long poll at least once a minute. */
export const POLLER_LIVE_MS = 90_000;
const CHECK_TIMEOUT_MS = 3_000;

export interface Poller {
  identity: string;
  lastAccessAt: string | null;
  live: boolean;
}

export interface QueueStatus {
  name: QueueName;
  taskQueue: string;
  /** For a model's queue (`maestro-model-<id>`): the model. */
  model?: string;
  kind: 'workflow' | 'activity';
  pollers: Poller[];
  polled: boolean;
  error?: string;
}

export interface WorkerProcessStatus {
  identity: string;
  queues: QueueName[];
  lastSeenAt: string | null;
}


export interface SystemStatus {
  checkedAt: string;
  models: ModelStatus;
  temporal: { reachable: boolean; address: string; namespace: string; serverVersion?: string; uiUrl?: string; error?: string };
  database: { reachable: boolean; latestMigration?: string; error?: string };
  queues: QueueStatus[];
  workers: WorkerProcessStatus[];
  allQueuesPolled: boolean;
}

export interface SystemStatusDeps {
  config: LoadedConfig;
  temporal: { connection: Connection; client: Client; address: string; namespace: string; uiUrl?: string };
  prisma: PrismaClient;
}

/** Reads what is true right now: Temporal and PostgreSQL answering, and pollers per Temporal. */
export async function readSystemStatus({ config, temporal: target, prisma }: SystemStatusDeps): Promise<SystemStatus> {
  const now = Date.now();
  const models = await readModelStatus(config, target.client);
  // The model queues that are served, and those this process expects to be (their keys are here).
  const modelQueues = [...new Set([...models.available, ...models.expected])].sort();
  const [temporalStatus, database, queues] = await Promise.all([
    checkTemporal(target),
    checkDatabase(prisma),
    Promise.all([
      ...QUEUE_NAMES.filter((queue) => queue !== 'models').map((queue) => describeQueue(target, { name: queue, taskQueue: TASK_QUEUES[queue] }, now)),
      ...modelQueues.map((model) => describeQueue(target, { name: 'models', taskQueue: modelTaskQueue(model), model }, now)),
    ]),
  ]);
  return {
    checkedAt: new Date(now).toISOString(),
    models,
    temporal: temporalStatus,
    database,
    queues,
    workers: workerProcesses(queues),
    allQueuesPolled: queues.every((queue) => queue.polled),
  };
}

async function checkTemporal(target: SystemStatusDeps['temporal']): Promise<SystemStatus['temporal']> {
  const base = { address: target.address, namespace: target.namespace, uiUrl: target.uiUrl };
  try {
    const info = await target.connection.withDeadline(Date.now() + CHECK_TIMEOUT_MS, async () => {
      await target.connection.workflowService.describeNamespace({ namespace: target.namespace });
      return target.connection.workflowService.getSystemInfo({});
    });
    return { ...base, reachable: true, serverVersion: info.serverVersion ?? undefined };
  } catch (error) {
    return { ...base, reachable: false, error: messageOf(error) };
  }
}

async function checkDatabase(prisma: PrismaClient): Promise<SystemStatus['database']> {
  try {
    const rows = await withTimeout(
      prisma.$queryRaw<Array<{ migration_name: string }>>`
        SELECT migration_name FROM _prisma_migrations
        WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL
        ORDER BY finished_at DESC, migration_name DESC LIMIT 1`,
    );
    return { reachable: true, latestMigration: rows[0]?.migration_name };
  } catch (error) {
    return { reachable: false, error: messageOf(error) };
  }
}

async function describeQueue(target: SystemStatusDeps['temporal'], queue: { name: QueueName; taskQueue: string; model?: string }, now: number): Promise<QueueStatus> {
  const kind = taskKindOf(queue.name);
  const base = { ...queue, kind };
  try {
    const response = await target.connection.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () =>
      target.connection.workflowService.describeTaskQueue({
        namespace: target.namespace,
        taskQueue: { name: queue.taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        taskQueueType:
          kind === 'workflow'
            ? temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW
            : temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
      }),
    );
    const pollers = (response.pollers ?? []).map((poller) => {
      const lastAccess = poller.lastAccessTime ? tsToMs(poller.lastAccessTime) : undefined;
      return {
        identity: poller.identity ?? 'unknown',
        lastAccessAt: lastAccess === undefined ? null : new Date(lastAccess).toISOString(),
        live: lastAccess !== undefined && now - lastAccess < POLLER_LIVE_MS,
      };
    });
    return { ...base, pollers, polled: pollers.some((poller) => poller.live) };
  } catch (error) {
    return { ...base, pollers: [], polled: false, error: messageOf(error) };
  }
}

function workerProcesses(queues: QueueStatus[]): WorkerProcessStatus[] {
  const byIdentity = new Map<string, WorkerProcessStatus>();
  for (const queue of queues) {
    for (const poller of queue.pollers.filter((candidate) => candidate.live)) {
      const entry = byIdentity.get(poller.identity) ?? { identity: poller.identity, queues: [], lastSeenAt: null };
      if (!entry.queues.includes(queue.name)) entry.queues.push(queue.name);
      if (!entry.lastSeenAt || (poller.lastAccessAt && poller.lastAccessAt > entry.lastSeenAt)) entry.lastSeenAt = poller.lastAccessAt;
      byIdentity.set(poller.identity, entry);
    }
  }
  return [...byIdentity.values()].sort((a, b) => a.identity.localeCompare(b.identity));
}

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS).unref()),
  ]);
}

function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return redactUrl(message.split('\n')[0]!.slice(0, 300));
}
