import { Worker } from '@temporalio/worker';
import { createProbeActivities } from '../activities/probe.js';
import { createReviewActivities } from '../activities/subtask/review.js';
import { createWorkspaceActivities, pruneEndedWorkspaces } from '../activities/subtask/workspace.js';
import { activityWorkerOptions, type WorkerContext } from './context.js';

/**
 * maestro-orchestrator: git setup and merge, status writes, strategic review. On start, worktrees of
 * subtasks that ended are removed and every project's repository forgets worktrees that are gone.
 */
export async function createOrchestratorWorker(context: WorkerContext): Promise<Worker> {
  await pruneWorktrees(context);
  return Worker.create({
    ...activityWorkerOptions(context, 'orchestrator'),
    activities: {
      ...createProbeActivities('orchestrator'),
      ...createWorkspaceActivities({ config: context.config }),
      ...createReviewActivities({ config: context.config, prisma: context.prisma() }),
    },
  });
}

async function pruneWorktrees(context: WorkerContext): Promise<void> {
  try {
    const report = await pruneEndedWorkspaces({ config: context.config, prisma: context.prisma() });
    if (report.removed.length > 0 || report.failed.length > 0)
      context.log.info(report, `removed ${report.removed.length} worktree(s) of subtasks that ended`);
    for (const failed of report.failed) context.log.warn(failed, 'could not remove the worktree of an ended subtask');
  } catch (error) {
    // The database may not answer yet: the worker starts all the same, and the next start prunes.
    context.log.warn({ err: error }, 'could not prune the worktrees of ended subtasks');
  }
}
