import { Worker } from '@temporalio/worker';
import { createProbeActivities } from '../activities/probe.js';
import { createAgentActivities } from '../activities/subtask/agent-phase.js';
import { activityWorkerOptions, type WorkerContext } from './context.js';

/** maestro-developer: the developer agent: green, refactor, integration green, fixes. */
export function createDeveloperWorker(context: WorkerContext): Promise<Worker> {
  return Worker.create({
    ...activityWorkerOptions(context, 'developer'),
    activities: {
      ...createProbeActivities('developer'),
      ...createAgentActivities({ config: context.config, prisma: context.prisma() }),
    },
  });
}
