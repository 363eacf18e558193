import type { Client } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time.js';
import proto from '@temporalio/proto';
import { modelTaskQueue } from '../domain/models.js';

const { temporal } = proto;

/** A gateway seen polling this recently is alive: idle workers renew their long poll within a minute. */
const LIVE_MS = 90_000;
const CACHE_MS = 5_000;

let cached: { key: string; at: number; served: Promise<string[]> } | undefined;

/**
 * The models some gateway serves right now, as Temporal sees it: those whose queue
 * (`maestro-model-<id>`) has a live poller. Keys live with the gateways, so this — not the
 * environment of whoever asks — says what can be called. Cached for a few seconds when some are.
 */
export function servedModels(client: Client, ids: readonly string[]): Promise<string[]> {
  const key = `${client.options.namespace}|${ids.join(',')}`;
  if (cached && cached.key === key && Date.now() - cached.at < CACHE_MS) return cached.served;
  const served = lookUp(client, ids);
  cached = { key, at: Date.now(), served };
  // Nothing served (gateways still starting) or a failed look-up is asked again next time.
  served.then(
    (models) => {
      if (models.length === 0 && cached?.served === served) cached = undefined;
    },
    () => {
      if (cached?.served === served) cached = undefined;
    },
  );
  return served;
}

async function lookUp(client: Client, ids: readonly string[]): Promise<string[]> {
  const now = Date.now();
  const polled = await Promise.all(
    ids.map(async (id) => {
      const response = await client.workflowService.describeTaskQueue({
        namespace: client.options.namespace,
        taskQueue: { name: modelTaskQueue(id), kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
      });
      return (response.pollers ?? []).some(
        (poller) => poller.lastAccessTime && now - tsToMs(poller.lastAccessTime) < LIVE_MS,
      );
    }),
  );
  return ids.filter((_, index) => polled[index]);
}
