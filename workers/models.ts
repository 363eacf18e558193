import { Worker } from '@temporalio/worker';
import { modelTaskQueue } from '../domain/models.js';
import { availableModels } from '../domain/provider-availability.js';
import { createGatewayActivities } from '../activities/models/gateway-activities.js';
import { sweepUnsettledModelCalls } from '../data/costs.js';
import { baseWorkerOptions, type WorkerContext } from './context.js';

/**
 * maestro-model-<id>: the model gateway, one queue per model whose provider has its key here. A
 * queue's worker slots are the model's concurrent calls and its task-queue rate limit (enforced by
 * the Temporal server, for the whole cluster) the model's requests per minute.
 */
export async function createModelWorkers(context: WorkerContext): Promise<Worker[]> {
  const { models } = context.config;
  const ids = availableModels(models, process.env);
  if (ids.length === 0) context.log.warn('no model provider has its key in this process: it serves no model queue');
  // Keys are read from this process's environment, on purpose never from configuration.
  const activities = createGatewayActivities({
    prisma: context.prisma(),
    models,
    circuit: models.circuit,
    env: process.env,
    budgets: context.config.budgets,
  });
  watchUnsettledCalls(context);
  return Promise.all(
    ids.map((id) => {
      const model = models.registry[id]!;
      return Worker.create({
        ...baseWorkerOptions(context, 'models'),
        taskQueue: modelTaskQueue(id),
        activities,
        maxConcurrentActivityTaskExecutions: model.maxConcurrent,
        maxConcurrentActivityTaskPolls: Math.min(model.maxConcurrent, 5),
        ...(model.requestsPerMinute ? { maxTaskQueueActivitiesPerSecond: model.requestsPerMinute / 60 } : {}),
      });
    }),
  );
}

const SWEEP_EVERY_MS = 60_000;

/** Marks the calls whose gateway died mid-call `unknown`, now and every minute, while this process runs. */
function watchUnsettledCalls(context: WorkerContext) {
  const sweep = async () => {
    try {
      const swept = await sweepUnsettledModelCalls(context.prisma());
      if (swept > 0)
        context.log.warn(
          { calls: swept },
          `${swept} model calls sent by a gateway that went away are unknown: each stays charged at the most it can cost`,
        );
    } catch (error) {
      context.log.warn({ err: error }, 'the sweep of unsettled model calls failed; it runs again in a minute');
    }
  };
  void sweep();
  setInterval(() => void sweep(), SWEEP_EVERY_MS).unref();
}
