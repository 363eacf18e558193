import { Worker } from '@temporalio/worker';
import { createProbeActivities } from '../activities/probe.js';
import { createCheckActivities } from '../activities/subtask/checks.js';
import { activityWorkerOptions, type WorkerContext } from './context.js';

/** maestro-runner: the project's commands (tests, lint, install) with hang detection. */
export function createRunnerWorker(context: WorkerContext): Promise<Worker> {
  return Worker.create({
    ...activityWorkerOptions(context, 'runner'),
    activities: {
      ...createProbeActivities('runner'),
      ...createCheckActivities({ config: context.config, prisma: context.prisma() }),
    },
  });
}
