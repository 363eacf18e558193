import { tsToMs } from '@temporalio/common/lib/time.js';
import proto from '@temporalio/proto';
import { modelTaskQueue } from '../../domain/models.js';
import { QUEUE_NAMES, TASK_QUEUES, type QueueName, taskKindOf } from '../../domain/queues.js';
import { redactUrl } from '../../domain/redact.js';
import { readModelStatus } from './model-status.js';
import type { SystemStatusDeps } from './system-status.js';

const { temporal } = proto;
const DESCRIBE_TIMEOUT_MS = 3_000;

/** A poller seen this recently is alive: idle workers renew their long poll at least once a minute. */
export const POLLER_LIVE_MS = 90_000;

export interface QueueBacklog {
  /** Tasks waiting for a worker (Temporal's approximate count). */
  count: number;
  /** How long the oldest waiting task has waited. */
  ageMs: number;
  /** Tasks added and dispatched per second, over the last 30 s. */
  addRate: number;
  dispatchRate: number;
}

export interface QueuePoller {
  identity: string;
  lastAccessAt: string | null;
  live: boolean;
  ratePerSecond: number;
}

export interface QueueInfo {
  name: QueueName;
  taskQueue: string;
  model?: string;
  kind: 'workflow' | 'activity';
  backlog: QueueBacklog | null;
  pollers: QueuePoller[];
  polled: boolean;
  error?: string;
}

type Long = { toString(): string } | number | null | undefined;
const toNumber = (value: Long) =>
  value === null || value === undefined ? 0 : typeof value === 'number' ? value : Number(value.toString());

/**
 * Every Maestro task queue — the role queues and one per served model — with its backlog and the
 * workers polling it, as Temporal reports them (DescribeTaskQueue with its stats).
 */
export async function listQueues({
  config,
  temporal: target,
}: Pick<SystemStatusDeps, 'config' | 'temporal'>): Promise<{ checkedAt: string; queues: QueueInfo[] }> {
  const now = Date.now();
  const models = await readModelStatus(config, target.client);
  return {
    checkedAt: new Date(now).toISOString(),
    queues: await describeQueues(target, [...models.available, ...models.expected], { stats: true, now }),
  };
}

/**
 * The role queues and the queues of these models (the served ones, and those expected to be), as
 * Temporal describes them; their backlog too with `stats` (a heavier call for the server).
 */
export function describeQueues(
  target: SystemStatusDeps['temporal'],
  models: string[],
  options: { stats: boolean; now: number },
): Promise<QueueInfo[]> {
  return Promise.all([
    ...QUEUE_NAMES.filter((queue) => queue !== 'models').map((queue) =>
      describe(target, { name: queue, taskQueue: TASK_QUEUES[queue] }, options),
    ),
    ...[...new Set(models)]
      .sort()
      .map((model) => describe(target, { name: 'models', taskQueue: modelTaskQueue(model), model }, options)),
  ]);
}

async function describe(
  target: SystemStatusDeps['temporal'],
  queue: { name: QueueName; taskQueue: string; model?: string },
  { stats: withStats, now }: { stats: boolean; now: number },
): Promise<QueueInfo> {
  const kind = taskKindOf(queue.name);
  const base = { ...queue, kind };
  try {
    const response = await target.connection.withDeadline(Date.now() + DESCRIBE_TIMEOUT_MS, () =>
      target.connection.workflowService.describeTaskQueue({
        namespace: target.namespace,
        taskQueue: { name: queue.taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        taskQueueType:
          kind === 'workflow'
            ? temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW
            : temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
        reportStats: withStats,
      }),
    );
    const pollers = (response.pollers ?? []).map((poller) => {
      const lastAccess = poller.lastAccessTime ? tsToMs(poller.lastAccessTime) : undefined;
      return {
        identity: poller.identity ?? 'unknown',
        lastAccessAt: lastAccess === undefined ? null : new Date(lastAccess).toISOString(),
        live: lastAccess !== undefined && now - lastAccess < POLLER_LIVE_MS,
        ratePerSecond: poller.ratePerSecond ?? 0,
      };
    });
    const stats = withStats ? response.stats : undefined;
    const backlog = stats
      ? {
          count: toNumber(stats.approximateBacklogCount as Long),
          ageMs: stats.approximateBacklogAge ? tsToMs(stats.approximateBacklogAge) : 0,
          addRate: stats.tasksAddRate ?? 0,
          dispatchRate: stats.tasksDispatchRate ?? 0,
        }
      : null;
    return { ...base, backlog, pollers, polled: pollers.some((poller) => poller.live) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      ...base,
      backlog: null,
      pollers: [],
      polled: false,
      error: redactUrl(message.split('\n')[0]!.slice(0, 300)),
    };
  }
}
