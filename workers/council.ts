import { Worker } from '@temporalio/worker';
import { createCouncilActivities } from '../activities/council/council-activities.js';
import { createProbeActivities } from '../activities/probe.js';
import { activityWorkerOptions, type WorkerContext } from './context.js';

/** maestro-council: council members' proposals and the judge. */
export function createCouncilWorker(context: WorkerContext): Promise<Worker> {
  return Worker.create({
    ...activityWorkerOptions(context, 'council'),
    activities: {
      ...createProbeActivities('council'),
      ...createCouncilActivities({ config: context.config, prisma: context.prisma() }),
    },
  });
}
