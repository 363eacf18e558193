import type { ModelAvailability } from '../../domain/routing.js';
import { formatUsdExact, parseUsd } from '../../domain/money.js';
import { Context } from '@temporalio/activity';
import { servedModels } from '../models/served-models.js';
import { decideApproval, openApproval, openEscalation, resolveEscalation } from '../store/approvals.js';
import { openCircuits } from '../store/circuits.js';
import { type BudgetStatus, budgetStatus } from '../store/costs.js';
import { type ProgressRecord, recordProgress } from '../store/progress.js';
import type { ActivityDeps } from './deps.js';

/**
 * The workflow's writes to the read model: small, quick database writes, run as local activities
 * on the workflows queue (a marker in the history instead of a full activity round trip).
 */
export function createProgressActivities({ prisma, config }: Pick<ActivityDeps, 'prisma' | 'config'>) {
  return {
    /**
     * What routing needs before an agent attempt: the project's budget, this subtask's spend, the
     * models some gateway serves (Temporal's pollers say so), and the providers whose circuit is open.
     */
    async modelContext({ projectId, subtaskId }: { projectId: string; subtaskId: string }): Promise<{ budget: BudgetStatus; subtaskSpentUsd: string; availability: ModelAvailability }> {
      const [budget, subtask, circuits, available] = await Promise.all([
        budgetStatus(prisma, projectId, config.budgets),
        prisma.modelCall.aggregate({ where: { subtaskId }, _sum: { costUsd: true } }),
        openCircuits(prisma),
        servedModels(Context.current().client, Object.keys(config.models.registry)),
      ]);
      return {
        budget,
        subtaskSpentUsd: formatUsdExact(subtask._sum.costUsd ? parseUsd(subtask._sum.costUsd.toFixed(12)) : 0n),
        availability: { available, openCircuits: circuits },
      };
    },
    recordProgress: (record: ProgressRecord) => recordProgress(prisma, record),
    openApproval: (input: Parameters<typeof openApproval>[1]) => openApproval(prisma, input),
    decideApproval: (input: Parameters<typeof decideApproval>[1]) => decideApproval(prisma, input),
    openEscalation: (input: Parameters<typeof openEscalation>[1]) => openEscalation(prisma, input),
    resolveEscalation: (input: Parameters<typeof resolveEscalation>[1]) => resolveEscalation(prisma, input),
    /** Which dependencies are not completed yet, and which were cancelled (and never will be). */
    async dependencyStatus({ projectId, keys }: { projectId: string; keys: string[] }): Promise<{ pending: string[]; cancelled: string[] }> {
      const rows = await prisma.subtask.findMany({ where: { projectId, key: { in: keys } }, select: { key: true, status: true } });
      const statusOf = new Map(rows.map((row) => [row.key, row.status]));
      return {
        pending: keys.filter((key) => statusOf.get(key) !== 'completed' && statusOf.get(key) !== 'cancelled'),
        cancelled: keys.filter((key) => statusOf.get(key) === 'cancelled'),
      };
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
