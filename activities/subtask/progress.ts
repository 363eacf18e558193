import type { ModelAvailability } from '../../domain/routing.js';
import { formatUsdExact, parseUsd } from '../../domain/money.js';
import { Context } from '@temporalio/activity';
import { servedModels } from '../../data/served-models.js';
import {
  decideApproval,
  openApproval,
  openEscalation,
  remindEscalation,
  resolveEscalation,
} from '../../data/approvals.js';
import { abandonCouncil, closeCouncil, openCouncil, recordCouncilOutcome, winRates } from '../../data/council.js';
import { openCircuits } from '../../data/circuits.js';
import { type BudgetStatus, budgetStatus, councilSpendToday } from '../../data/costs.js';
import { type ProgressRecord, recordProgress, recordProgressBatch } from '../../data/progress.js';
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
    async modelContext({
      projectId,
      subtaskId,
      phase,
      writes,
    }: {
      projectId: string;
      subtaskId: string;
      phase?: string;
      /** The workflow's writes still to make (its audit and progress rows): made beside the reads, in one transaction. */
      writes?: ProgressRecord[];
    }): Promise<{
      budget: BudgetStatus;
      subtaskSpentUsd: string;
      availability: ModelAvailability;
      champion?: Champion;
    }> {
      const [, budget, subtask, circuits, available, rates] = await Promise.all([
        // Nothing read here depends on these rows (a pass, a transition): they go beside the reads.
        recordProgressBatch(prisma, writes ?? []),
        budgetStatus(prisma, projectId, config.budgets),
        prisma.modelCall.aggregate({ where: { subtaskId }, _sum: { costUsd: true } }),
        openCircuits(prisma),
        servedModels(Context.current().client, Object.keys(config.models.registry)),
        phase ? winRates(prisma, { problemTypePrefix: `${phase}/` }) : Promise.resolve([]),
      ]);
      return {
        budget,
        subtaskSpentUsd: formatUsdExact(subtask._sum.costUsd ? parseUsd(subtask._sum.costUsd.toFixed(12)) : 0n),
        availability: { available, openCircuits: circuits },
        champion: championOf(rates, phase),
      };
    },
    recordProgress: (record: ProgressRecord) => recordProgress(prisma, record),
    recordProgressBatch: (records: ProgressRecord[]) => recordProgressBatch(prisma, records),
    openApproval: (input: Parameters<typeof openApproval>[1]) => openApproval(prisma, input),
    decideApproval: (input: Parameters<typeof decideApproval>[1]) => decideApproval(prisma, input),
    openEscalation: (input: Parameters<typeof openEscalation>[1]) => openEscalation(prisma, input),
    resolveEscalation: (input: Parameters<typeof resolveEscalation>[1]) => resolveEscalation(prisma, input),
    remindEscalation: (input: Parameters<typeof remindEscalation>[1]) => remindEscalation(prisma, input),
    openCouncil: (input: Parameters<typeof openCouncil>[1]) => openCouncil(prisma, input),
    closeCouncil: (input: Parameters<typeof closeCouncil>[1]) => closeCouncil(prisma, input),
    recordCouncilOutcome: (input: Parameters<typeof recordCouncilOutcome>[1]) => recordCouncilOutcome(prisma, input),
    abandonCouncil: (input: Parameters<typeof abandonCouncil>[1]) => abandonCouncil(prisma, input),
    /**
     * What convening a council needs: whether the councils' daily budget is spent, and each model's
     * win rate for this kind of problem (for the weighted strategy).
     */
    async councilContext({
      problemType,
    }: {
      problemType: string;
    }): Promise<{ spentTodayUsd: string; dailyUsd: number; exhausted: boolean; winRates: Record<string, number> }> {
      const [spent, rates] = await Promise.all([councilSpendToday(prisma), winRates(prisma, { problemType })]);
      return {
        spentTodayUsd: formatUsdExact(spent),
        dailyUsd: config.budgets.councilDailyUsd,
        exhausted: spent >= parseUsd(config.budgets.councilDailyUsd),
        winRates: Object.fromEntries(rates.map((rate) => [rate.model, rate.rate])),
      };
    },
    /** Which dependencies are not completed yet, and which were cancelled (and never will be). */
    async dependencyStatus({
      projectId,
      keys,
    }: {
      projectId: string;
      keys: string[];
    }): Promise<{ pending: string[]; cancelled: string[] }> {
      const rows = await prisma.subtask.findMany({
        where: { projectId, key: { in: keys } },
        select: { key: true, status: true },
      });
      const statusOf = new Map(rows.map((row) => [row.key, row.status]));
      return {
        pending: keys.filter((key) => statusOf.get(key) !== 'completed' && statusOf.get(key) !== 'cancelled'),
        cancelled: keys.filter((key) => statusOf.get(key) === 'cancelled'),
      };
    },
    /**
     * Asks Temporal to cancel a run of a subtask's workflow, as its UI or CLI would: a subtask a
     * person cancelled (the cancel override, an escalation answered with cancel) then ends with
     * Temporal's status CANCELLED too. Asking again is a no-op.
     */
    async requestCancellation({ workflowId, runId }: { workflowId: string; runId: string }): Promise<void> {
      await Context.current().client.workflow.getHandle(workflowId, runId).cancel();
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

/** A model that wins most of a phase's councils: the routing of first attempts tries it first. */
export interface Champion {
  model: string;
  wins: number;
  councils: number;
}

const CHAMPION_MIN_COUNCILS = 3;
const CHAMPION_MIN_RATE = 0.6;

function championOf(
  rates: Array<{ model: string; wins: number; councils: number }>,
  phase: string | undefined,
): Champion | undefined {
  if (!phase) return undefined;
  const byModel = new Map<string, Champion>();
  for (const rate of rates) {
    const entry = byModel.get(rate.model) ?? { model: rate.model, wins: 0, councils: 0 };
    entry.wins += rate.wins;
    entry.councils += rate.councils;
    byModel.set(rate.model, entry);
  }
  return [...byModel.values()]
    .filter((entry) => entry.councils >= CHAMPION_MIN_COUNCILS && entry.wins / entry.councils >= CHAMPION_MIN_RATE)
    .sort((a, b) => b.wins / b.councils - a.wins / a.councils || b.councils - a.councils)[0];
}
