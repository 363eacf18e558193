import { Worker } from '@temporalio/worker';
import { createProbeActivities } from '../activities/probe.js';
import { createReviewActivities } from '../activities/subtask/review.js';
import { createWorkspaceActivities } from '../activities/subtask/workspace.js';
import { activityWorkerOptions, type WorkerContext } from './context.js';

/** maestro-orchestrator: git setup and merge, status writes, strategic review. */
export function createOrchestratorWorker(context: WorkerContext): Promise<Worker> {
  return Worker.create({
    ...activityWorkerOptions(context, 'orchestrator'),
    activities: {
      ...createProbeActivities('orchestrator'),
      ...createWorkspaceActivities({ config: context.config }),
      ...createReviewActivities({ config: context.config, prisma: context.prisma() }),
    },
  });
}
