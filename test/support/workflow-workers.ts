import { setTimeout as sleep } from 'node:timers/promises';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Runtime, Worker, makeTelemetryFilterString } from '@temporalio/worker';
import { createAgentActivities } from '../../activities/subtask/agent-phase.js';
import { ActivityRunRecorder } from '../../data/activity-runs.js';
import type { PrismaClient } from '../../data/prisma.js';
import { servedModels } from '../../data/served-models.js';
import type { LoadedConfig } from '../../runtime/config.js';
import type { Logger } from '../../runtime/log.js';
import { activityWorkerOptions, type WorkerContext } from '../../workers/context.js';
import { createCouncilWorker } from '../../workers/council.js';
import { createDeveloperWorker } from '../../workers/developer.js';
import { createModelWorkers } from '../../workers/models.js';
import { createOrchestratorWorker } from '../../workers/orchestrator.js';
import { createRunnerWorker } from '../../workers/runner.js';
import { createTesterWorker } from '../../workers/tester.js';
import { temporalLoggerFor } from '../../workers/temporal-logger.js';
import { createWorkflowsWorker } from '../../workers/workflows.js';
import { agentStepActivities } from '../../workers/worktree-host.js';
import { MODELS, SPARE_DEVELOPER_QUEUE } from './workflow-env-settings.js';

/** The SDK's logs through Maestro's logger, as in a worker process (one runtime per test file's process). */
export function installWorkerRuntime(log: Logger): void {
  try {
    Runtime.install({
      logger: temporalLoggerFor(log),
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} } },
    });
  } catch {
    // installed already by an earlier environment in this process
  }
}

export interface RunningWorkers {
  /** Shuts every worker down, waits for them, and writes the activity runs still buffered. */
  stop(): Promise<void>;
}

/** The real workers of every queue on the environment's dev server, once Temporal sees every model gateway poll. */
export async function startWorkers(
  env: TestWorkflowEnvironment,
  config: LoadedConfig,
  prisma: PrismaClient,
  log: Logger,
): Promise<RunningWorkers> {
  const activityRuns = new ActivityRunRecorder(() => prisma, log);
  const context: WorkerContext = {
    config,
    connection: env.nativeConnection,
    namespace: 'maestro',
    queues: ['workflows', 'orchestrator', 'tester', 'developer', 'runner', 'council', 'models'],
    log,
    prisma: () => prisma,
    activityRuns,
  };
  const workers = [
    await createWorkflowsWorker(context),
    await createOrchestratorWorker(context),
    ...(await createTesterWorker(context)),
    ...(await createDeveloperWorker(context)),
    await createRunnerWorker(context),
    ...(await createCouncilWorker(context)),
    ...(await createModelWorkers(context)),
    // The real developer activities on a second queue, for reassign.
    await Worker.create({
      ...activityWorkerOptions(context, 'developer'),
      taskQueue: SPARE_DEVELOPER_QUEUE,
      activities: { ...createAgentActivities({ config, prisma }), ...agentStepActivities(context) },
    }),
  ];
  const running = workers.map((worker) => worker.run());
  // Routing waits for the model gateways' pollers: start no workflow before Temporal sees them.
  const ids = Object.keys(config.models.registry);
  const wanted = [MODELS.tactical, ...MODELS.members, MODELS.spare];
  let served: string[] = [];
  for (let look = 0; !wanted.every((id) => served.includes(id)); look++) {
    if (look > 200) throw new Error(`the model gateways do not poll; served: ${served.join(', ') || 'none'}`);
    await sleep(100);
    served = await servedModels(env.client, ids).catch(() => []);
  }
  return {
    async stop() {
      for (const worker of workers) worker.shutdown();
      await Promise.allSettled(running);
      await activityRuns.flush();
    },
  };
}
