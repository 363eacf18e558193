import { Worker } from '@temporalio/worker';
import { createCouncilActivities } from '../activities/council/council-activities.js';
import { createProbeActivities } from '../activities/probe.js';
import { activityWorkerOptions, type WorkerContext } from './context.js';
import { agentStepActivities, createWorktreeHostWorker } from './worktree-host.js';

/**
 * maestro-council: council members' preparations (each member's run is an agent-run workflow) and
 * the judge's question; and this host's worktree queue, where the members' tools and commits run,
 * unless an agent's queue in this process serves it already.
 */
export async function createCouncilWorker(context: WorkerContext): Promise<Worker[]> {
  const council = Worker.create({
    ...activityWorkerOptions(context, 'council'),
    activities: {
      ...createProbeActivities('council'),
      ...createCouncilActivities({ config: context.config, prisma: context.prisma() }),
      ...agentStepActivities(context),
    },
  });
  if (context.queues.includes('tester') || context.queues.includes('developer')) return [await council];
  return Promise.all([council, createWorktreeHostWorker(context)]);
}
