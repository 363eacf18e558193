import { z } from 'zod';
import { ProjectName } from '../../../domain/project.js';
import { SubtaskKey } from '../../../domain/subtask-spec.js';
import { UNATTRIBUTED, costSummary } from '../../../data/costs.js';
import { readBudget, readBudgets } from '../budgets.js';
import { resolveScope } from '../scope.js';
import { readProcedure, router } from '../trpc.js';

export const costsRouter = router({
  /** Spend per project, subtask, model and day, with the total; filtered by project, subtask and time. */
  summary: readProcedure
    .input(
      z
        .strictObject({
          project: ProjectName.optional(),
          subtask: SubtaskKey.optional(),
          from: z.coerce.date().optional(),
          to: z.coerce.date().optional(),
        })
        .refine((filter) => !filter.subtask || filter.project, {
          message: 'a subtask key needs its project',
          path: ['subtask'],
        })
        .prefault({}),
    )
    .query(async ({ ctx, input }) => {
      const { projectId, subtaskId } = await resolveScope(ctx.prisma, input);
      const summary = await costSummary(ctx.prisma, { projectId, subtaskId, from: input.from, to: input.to });
      // Calls of no project or subtask are summed under `(none)`, which is no id to look up.
      const ids = (lines: Array<{ key: string }>) =>
        lines.map((line) => line.key).filter((key) => key !== UNATTRIBUTED);
      const [projects, subtasks] = await Promise.all([
        ctx.prisma.project.findMany({
          where: { id: { in: ids(summary.byProject) } },
          select: { id: true, name: true },
        }),
        ctx.prisma.subtask.findMany({
          where: { id: { in: ids(summary.bySubtask) } },
          select: { id: true, key: true, project: { select: { name: true } } },
        }),
      ]);
      const projectName = new Map(projects.map((project) => [project.id, project.name]));
      const subtaskName = new Map(subtasks.map((subtask) => [subtask.id, `${subtask.project.name}/${subtask.key}`]));
      return {
        ...summary,
        byProject: summary.byProject.map((line) => ({ ...line, key: projectName.get(line.key) ?? line.key })),
        bySubtask: summary.bySubtask.map((line) => ({ ...line, key: subtaskName.get(line.key) ?? line.key })),
      };
    }),

  /** A project's budget: its tiers, what it spent, the tier it is in, and the councils' day. */
  budget: readProcedure
    .input(z.strictObject({ project: ProjectName }))
    .query(({ ctx, input }) => readBudget(ctx, input.project)),

  /** Every project's budget: tiers, spend and the tier reached; and the councils' day, once. */
  budgets: readProcedure.query(({ ctx }) => readBudgets(ctx)),
});
