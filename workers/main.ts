/**
 * A worker process: hosts one queue or several (`--queues tester,developer`), drains its running
 * tasks on SIGTERM/SIGINT, and stops when its supervisor goes away.
 */
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, makeTelemetryFilterString, type Worker } from '@temporalio/worker';
import { z } from 'zod';
import { QueueName } from '../domain/config.js';
import { QUEUE_NAMES, TASK_QUEUES, parseQueueGroups } from '../domain/queues.js';
import { ActivityRunRecorder } from '../data/activity-runs.js';
import { type PrismaClient, disconnectPrisma, prismaFor } from '../data/prisma.js';
import { loadConfig, temporalAddressOf } from '../runtime/config.js';
import { databaseUrlOf } from '../runtime/database-url.js';
import { runMain } from '../runtime/run-main.js';
import { createLogger } from '../runtime/log.js';
import { announceSandbox } from '../runtime/sandbox.js';
import { type WorkerContext, drainTimes } from './context.js';
import { createCouncilWorker } from './council.js';
import { createDeveloperWorker } from './developer.js';
import { createModelWorkers } from './models.js';
import { createOrchestratorWorker } from './orchestrator.js';
import { createRunnerWorker } from './runner.js';
import { createTesterWorker } from './tester.js';
import { failActivitiesOfDeadWorkers, runningActivitiesFolder } from './running-activities.js';
import { commandGroupsFolder, noteCommandGroupsIn, stopCommandsOfDeadWorkers } from '../runtime/command-groups.js';
import { temporalLoggerFor } from './temporal-logger.js';
import { createWorkflowsWorker } from './workflows.js';

const WORKER_FACTORIES: Record<QueueName, (context: WorkerContext) => Promise<Worker | Worker[]>> = {
  workflows: createWorkflowsWorker,
  orchestrator: createOrchestratorWorker,
  tester: createTesterWorker,
  developer: createDeveloperWorker,
  runner: createRunnerWorker,
  council: createCouncilWorker,
  models: createModelWorkers,
};

/** The queues whose activities run a project's commands (install, tests, run_tests). */
const PROJECT_COMMAND_QUEUES = new Set<QueueName>(['runner', 'tester', 'developer', 'council']);

const QueuesFlag = z
  .array(QueueName, { error: () => `--queues takes queue names separated by commas: ${QUEUE_NAMES.join(', ')}` })
  .min(1, `--queues is required: one or more of ${QUEUE_NAMES.join(', ')}`);

runMain(async () => {
  const { values } = parseArgs({ options: { queues: { type: 'string', default: '' } } });
  const queues = QueuesFlag.parse([...new Set(parseQueueGroups(values.queues).flat())]);
  const config = loadConfig();
  const log = createLogger('worker', config.logLevel, { queues });
  for (const warning of config.warnings) log.warn(warning);
  if (queues.some((queue) => PROJECT_COMMAND_QUEUES.has(queue))) {
    announceSandbox(log, config.sandbox);
  }
  // The AI SDK's warnings (a setting a provider ignores, say) go to the log, not to the console.
  globalThis.AI_SDK_LOG_WARNINGS = ({ warnings, provider, model }) =>
    log.warn({ provider, model, warnings }, 'the model provider warns');

  Runtime.install({
    logger: temporalLoggerFor(log),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } },
  });
  const connection = await NativeConnection.connect({ address: temporalAddressOf(config) });
  // Before any command of this process starts: the groups noted are only dead workers'.
  const leftovers = stopCommandsOfDeadWorkers(commandGroupsFolder(config.dataDir));
  if (leftovers > 0)
    log.info({ groups: leftovers }, `stopped ${leftovers} command(s) that dead worker processes left running`);
  noteCommandGroupsIn(commandGroupsFolder(config.dataDir));
  void failActivitiesLeftByDeadWorkers(config, log);
  let prisma: PrismaClient | undefined;
  const prismaClient = () => (prisma ??= prismaFor(databaseUrlOf(config)));
  const activityRuns = new ActivityRunRecorder(prismaClient, log);
  const context = {
    config,
    connection,
    namespace: config.temporal.namespace,
    queues,
    prisma: prismaClient,
    activityRuns,
  };
  const hosted = await Promise.all(
    queues.map(async (queue) => {
      const created = await WORKER_FACTORIES[queue]({
        ...context,
        log: log.child({ role: queue, queue: TASK_QUEUES[queue] }),
      });
      return (Array.isArray(created) ? created : [created]).map((worker) => ({ queue, worker }));
    }),
  );
  const workers = hosted.flat().map((entry) => entry.worker);
  const workerQueues = hosted.flat().map((entry) => entry.queue);

  let draining = false;
  const drain = (reason: string) => {
    if (draining) return;
    draining = true;
    const { cancelAtMs, exitAtMs } = drainTimes(config.workers.shutdownGraceMs);
    log.info({ reason, cancelAtMs }, 'draining: polling stopped, finishing running tasks, then stopping');
    // Whatever still holds the process at the end of its grace time (a task that ignores its
    // cancellation) must not make its supervisor kill it: its tasks are the server's to run again.
    setTimeout(() => {
      log.warn({ graceMs: exitAtMs }, 'draining overran the grace time: exiting with tasks unfinished');
      process.exit(1);
    }, exitAtMs).unref();
    for (const worker of workers) {
      try {
        worker.shutdown();
      } catch {
        // that worker has already stopped (or failed)
      }
    }
  };
  process.on('SIGTERM', () => drain('SIGTERM'));
  process.on('SIGINT', () => drain('SIGINT'));
  process.on('disconnect', () => drain('the supervisor went away'));

  // One queue's worker failing stops the others gracefully: their running tasks still finish.
  const running = Promise.allSettled(
    workers.map(async (worker, index) => {
      try {
        await worker.run();
      } catch (error) {
        log.error(
          { err: error, queue: workerQueues[index], taskQueue: worker.options.taskQueue },
          'worker failed; draining the others',
        );
        drain('a worker of this process failed');
        throw error;
      }
    }),
  );
  log.info({ taskQueues: workers.map((worker) => worker.options.taskQueue) }, 'polling');
  const results = await running;
  await activityRuns.flush();
  await Promise.all([connection.close(), disconnectPrisma()]);
  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure) throw failure.reason;
  log.info('stopped');
});

/** A worker that died left its running activities to their heartbeat timeouts: they run again now. */
async function failActivitiesLeftByDeadWorkers(
  config: ReturnType<typeof loadConfig>,
  log: ReturnType<typeof createLogger>,
) {
  try {
    const clientConnection = await Connection.connect({ address: temporalAddressOf(config) });
    try {
      await failActivitiesOfDeadWorkers(
        new Client({ connection: clientConnection, namespace: config.temporal.namespace }),
        runningActivitiesFolder(config.dataDir),
        log,
      );
    } finally {
      await clientConnection.close();
    }
  } catch (error) {
    log.warn(
      { err: error },
      'could not fail the activities of dead workers: they run again after their heartbeat timeout',
    );
  }
}
