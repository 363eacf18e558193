import { createHash } from 'node:crypto';
import os from 'node:os';
import { Worker } from '@temporalio/worker';
import { createAgentStepActivities } from '../activities/agents/agent-steps.js';
import type { LoadedConfig } from '../runtime/config.js';
import { activityTimingInterceptor } from './activity-timing.js';
import { activitySlots, activityWorkerOptions, type WorkerContext } from './context.js';
import { runningActivitiesFolder, runningActivitiesInterceptor } from './running-activities.js';

/**
 * The queue of this host's worktrees (`maestro-worktrees-<host>`): an agent's tool calls and its
 * commit go to the workers that hold its worktree (Temporal's worker-specific task queues). It is
 * named by the machine and the data folder, so a restarted worker serves it again at once.
 */
export function worktreeHostQueue(config: Pick<LoadedConfig, 'dataDir'>): string {
  const host = createHash('sha256').update(`${os.hostname()}\0${config.dataDir}`).digest('hex').slice(0, 12);
  return `maestro-worktrees-${host}`;
}

/** The agents' activities: prepare on the role's queue, tools and commits on this host's queue. */
export function agentStepActivities(context: WorkerContext) {
  return createAgentStepActivities(
    { config: context.config, prisma: context.prisma() },
    worktreeHostQueue(context.config),
  );
}

/**
 * The worker of this host's worktree queue (one per process that hosts agents or the council), with
 * the slots of the agents that run their tools here: the tester's, the developer's and, where the
 * council is hosted too, its members'.
 */
export function createWorktreeHostWorker(context: WorkerContext): Promise<Worker> {
  return Worker.create({
    ...activityWorkerOptions(context, 'tester'),
    taskQueue: worktreeHostQueue(context.config),
    maxConcurrentActivityTaskExecutions:
      activitySlots(context.config, 'tester') +
      activitySlots(context.config, 'developer') +
      (context.queues.includes('council') ? activitySlots(context.config, 'council') : 0),
    activities: agentStepActivities(context),
    interceptors: {
      activity: [
        // Timed as the work of the agent whose tool or commit it is.
        activityTimingInterceptor(context.activityRuns, (args) => roleOfAgentStep(args[0]) ?? 'worktrees'),
        runningActivitiesInterceptor(runningActivitiesFolder(context.config.dataDir)),
      ],
    },
  });
}

function roleOfAgentStep(input: unknown): string | undefined {
  const role = (input as { input?: { role?: unknown } } | undefined)?.input?.role;
  return typeof role === 'string' ? role : undefined;
}
