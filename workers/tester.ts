import { Worker } from '@temporalio/worker';
import { createProbeActivities } from '../activities/probe.js';
import { createAgentActivities } from '../activities/subtask/agent-phase.js';
import { activityWorkerOptions, type WorkerContext } from './context.js';
import { agentStepActivities, createWorktreeHostWorker } from './worktree-host.js';

/** maestro-tester: the tester agent: red, integration red, verification; and this host's worktree queue. */
export async function createTesterWorker(context: WorkerContext): Promise<Worker[]> {
  return Promise.all([
    Worker.create({
      ...activityWorkerOptions(context, 'tester'),
      activities: {
        ...createProbeActivities('tester'),
        ...createAgentActivities({ config: context.config, prisma: context.prisma() }),
        ...agentStepActivities(context),
      },
    }),
    createWorktreeHostWorker(context),
  ]);
}
