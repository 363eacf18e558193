import { Worker } from '@temporalio/worker';
import { createProbeActivities } from '../activities/probe.js';
import { activityWorkerOptions, type WorkerContext } from './context.js';

/** maestro-council: council members' proposals and the judge. */
export function createCouncilWorker(context: WorkerContext): Promise<Worker> {
  return Worker.create({
    ...activityWorkerOptions(context, 'council'),
    activities: { ...createProbeActivities('council') },
  });
}
