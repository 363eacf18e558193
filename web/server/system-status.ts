import type { Client, Connection } from '@temporalio/client';
import type { LoadedConfig } from '../../runtime/config.js';
import { type ModelStatus, readModelStatus } from './model-status.js';
import type { QueueName } from '../../domain/queues.js';
import type { PrismaClient } from '../../data/prisma.js';
import { redactUrl } from '../../domain/redact.js';
import { type SandboxSupport, sandboxSupport } from '../../runtime/sandbox.js';
import { type QueueInfo, describeQueues } from './queue-stats.js';

const CHECK_TIMEOUT_MS = 3_000;

/** A queue and its pollers (for a model's queue, `maestro-model-<id>`, its model); no backlog here. */
export type QueueStatus = QueueInfo;

export interface WorkerProcessStatus {
  identity: string;
  queues: QueueName[];
  lastSeenAt: string | null;
}

export interface SystemStatus {
  checkedAt: string;
  models: ModelStatus;
  temporal: {
    reachable: boolean;
    address: string;
    namespace: string;
    serverVersion?: string;
    uiUrl?: string;
    error?: string;
  };
  database: { reachable: boolean; latestMigration?: string; error?: string };
  queues: QueueStatus[];
  workers: WorkerProcessStatus[];
  allQueuesPolled: boolean;
  /** Whether project commands run in the sandbox on this machine (the workers' of the embedded default). */
  sandbox: Pick<SandboxSupport, 'mode' | 'commands' | 'summary'>;
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
  const [temporalStatus, database, queues] = await Promise.all([
    checkTemporal(target),
    checkDatabase(prisma),
    describeQueues(target, [...models.available, ...models.expected], { stats: false, now }),
  ]);
  return {
    checkedAt: new Date(now).toISOString(),
    models,
    temporal: temporalStatus,
    database,
    queues,
    workers: workerProcesses(queues),
    allQueuesPolled: queues.every((queue) => queue.polled),
    sandbox: (({ mode, commands, summary }) => ({ mode, commands, summary }))(sandboxSupport(config.sandbox)),
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

function workerProcesses(queues: QueueStatus[]): WorkerProcessStatus[] {
  const byIdentity = new Map<string, WorkerProcessStatus>();
  for (const queue of queues) {
    for (const poller of queue.pollers.filter((candidate) => candidate.live)) {
      const entry = byIdentity.get(poller.identity) ?? { identity: poller.identity, queues: [], lastSeenAt: null };
      if (!entry.queues.includes(queue.name)) entry.queues.push(queue.name);
      if (!entry.lastSeenAt || (poller.lastAccessAt && poller.lastAccessAt > entry.lastSeenAt))
        entry.lastSeenAt = poller.lastAccessAt;
      byIdentity.set(poller.identity, entry);
    }
  }
  return [...byIdentity.values()].sort((a, b) => a.identity.localeCompare(b.identity));
}

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS).unref(),
    ),
  ]);
}

function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return redactUrl(message.split('\n')[0]!.slice(0, 300));
}
