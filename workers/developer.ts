import { Worker } from '@temporalio/worker';
import { createProbeActivities } from '../activities/probe.js';
import { createAgentActivities } from '../activities/subtask/agent-phase.js';
import { activityWorkerOptions, type WorkerContext } from './context.js';
import { agentStepActivities, createWorktreeHostWorker } from './worktree-host.js';

/** maestro-developer: the developer agent: green, refactor, integration green, fixes. */
export async function createDeveloperWorker(context: WorkerContext): Promise<Worker[]> {
  const developer = Worker.create({
    ...activityWorkerOptions(context, 'developer'),
    activities: {
      ...createProbeActivities('developer'),
      ...createAgentActivities({ config: context.config, prisma: context.prisma() }),
      ...agentStepActivities(context),
    },
  });
  // A process that hosts the tester too has its host's worktree queue already.
  if (context.queues.includes('tester')) return [await developer];
  return Promise.all([developer, createWorktreeHostWorker(context)]);
}
