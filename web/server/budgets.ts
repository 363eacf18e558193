import { TRPCError } from '@trpc/server';
import { type BudgetLimits, budgetLimitsProblem } from '../../domain/budget.js';
import type { BudgetInput } from '../../domain/project.js';
import { isFinal } from '../../domain/lifecycle.js';
import { formatUsdExact, parseUsd } from '../../domain/money.js';
import { budgetStatus, councilSpendToday, projectBudgetLimits } from '../../data/costs.js';
import { budgetChangedSignal } from '../../workflows/subtask/subtask.shared.js';
import { changeProjectSetting } from './project-settings.js';
import type { Context } from './trpc.js';

async function projectByName(ctx: Context, name: string) {
  const project = await ctx.prisma.project.findUnique({
    where: { name },
    select: { id: true, name: true, settings: true },
  });
  if (!project) throw new TRPCError({ code: 'NOT_FOUND', message: `No project named ${name}.` });
  return project;
}

export async function readBudget(ctx: Context, name: string) {
  const project = await projectByName(ctx, name);
  return { project: project.name, ...(await budgetStatus(ctx.prisma, project.id, ctx.config.budgets)) };
}

/** Every project's budget status, by name; the councils' day (the same for all) once. */
export async function readBudgets(ctx: Context) {
  const projects = await ctx.prisma.project.findMany({ select: { id: true, name: true }, orderBy: { name: 'asc' } });
  const [statuses, council] = await Promise.all([
    Promise.all(
      projects.map(async (project) => ({
        project: project.name,
        ...(await budgetStatus(ctx.prisma, project.id, ctx.config.budgets)),
      })),
    ),
    councilSpendToday(ctx.prisma),
  ]);
  const { councilDailyUsd } = ctx.config.budgets;
  return {
    projects: statuses.map((status) => ({
      project: status.project,
      limits: status.limits,
      spentUsd: status.spentUsd,
      tier: status.tier,
    })),
    council: {
      spentTodayUsd: formatUsdExact(council),
      dailyUsd: councilDailyUsd,
      exhausted: council >= parseUsd(councilDailyUsd),
    },
  };
}

/**
 * Changes a project's budget tiers, writes who did it to the audit log, and tells every running
 * subtask of the project: those held at a hard or emergency limit look again.
 */
export async function setBudget(ctx: Context, name: string, change: BudgetInput, actor: string, reason: string) {
  const project = await projectByName(ctx, name);
  await changeProjectSetting(ctx, project.id, 'budget', (stored) => {
    const before = projectBudgetLimits(stored, ctx.config.budgets);
    const after: BudgetLimits = {
      ...before,
      ...Object.fromEntries(Object.entries(change).filter(([, value]) => value !== undefined)),
    };
    const problem = budgetLimitsProblem(after);
    if (problem) throw new TRPCError({ code: 'BAD_REQUEST', message: `budget: ${problem}` });
    return {
      value: after,
      event: {
        actor,
        kind: 'budget.changed',
        message: `budget of ${project.name}: soft $${after.softUsd}, hard $${after.hardUsd}, emergency $${after.emergencyUsd} (was $${before.softUsd} / $${before.hardUsd} / $${before.emergencyUsd}): ${reason}`,
        data: { before, after, reason },
      },
      result: undefined,
    };
  });

  const running = await ctx.prisma.subtask.findMany({
    where: { projectId: project.id },
    select: { workflowId: true, status: true },
  });
  await Promise.all(
    running
      .filter((subtask) => !isFinal(subtask.status))
      .map((subtask) =>
        ctx.temporal.client.workflow
          .getHandle(subtask.workflowId)
          .signal(budgetChangedSignal, { actor })
          .catch((error: unknown) =>
            ctx.log.warn(
              { workflowId: subtask.workflowId, err: error },
              'could not tell a subtask about the new budget',
            ),
          ),
      ),
  );
  return readBudget(ctx, name);
}
