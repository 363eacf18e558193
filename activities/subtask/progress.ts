import { decideApproval, openApproval, openEscalation, resolveEscalation } from '../store/approvals.js';
import { type ProgressRecord, recordProgress } from '../store/progress.js';
import type { ActivityDeps } from './deps.js';

/**
 * The workflow's writes to the read model: small, quick database writes, run as local activities
 * on the workflows queue (a marker in the history instead of a full activity round trip).
 */
export function createProgressActivities({ prisma }: Pick<ActivityDeps, 'prisma'>) {
  return {
    recordProgress: (record: ProgressRecord) => recordProgress(prisma, record),
    openApproval: (input: Parameters<typeof openApproval>[1]) => openApproval(prisma, input),
    decideApproval: (input: Parameters<typeof decideApproval>[1]) => decideApproval(prisma, input),
    openEscalation: (input: Parameters<typeof openEscalation>[1]) => openEscalation(prisma, input),
    resolveEscalation: (input: Parameters<typeof resolveEscalation>[1]) => resolveEscalation(prisma, input),
    /** The dependencies that are not completed yet. */
    async pendingDependencies({ projectId, keys }: { projectId: string; keys: string[] }): Promise<string[]> {
      if (keys.length === 0) return [];
      const done = await prisma.subtask.findMany({ where: { projectId, key: { in: keys }, status: 'completed' }, select: { key: true } });
      const completed = new Set(done.map((row) => row.key));
      return keys.filter((key) => !completed.has(key));
    },
    /** Workflows of subtasks waiting for this one. */
    async dependentWorkflows({ projectId, key }: { projectId: string; key: string }): Promise<string[]> {
      const rows = await prisma.subtask.findMany({
        where: { projectId, status: 'pending', spec: { path: ['dependencies'], array_contains: [key] } },
        select: { workflowId: true },
      });
      return rows.map((row) => row.workflowId);
    },
  };
}

export type ProgressActivities = ReturnType<typeof createProgressActivities>;
