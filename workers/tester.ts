import { Worker } from '@temporalio/worker';
import { createProbeActivities } from '../activities/probe.js';
import { createAgentActivities } from '../activities/subtask/agent-phase.js';
import { activityWorkerOptions, type WorkerContext } from './context.js';

/** maestro-tester: the tester agent: red, integration red, verification. */
export function createTesterWorker(context: WorkerContext): Promise<Worker> {
  return Worker.create({
    ...activityWorkerOptions(context, 'tester'),
    activities: {
      ...createProbeActivities('tester'),
      ...createAgentActivities({ config: context.config, prisma: context.prisma() }),
    },
  });
}
