import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { BudgetInput, ProjectInput, ProjectName } from '../../../domain/project.js';
import { projectSelect } from '../../../data/projects.js';
import { ProjectSandbox } from '../../../domain/sandbox.js';
import { boundedText } from '../../../domain/text.js';
import { setBudget } from '../budgets.js';
import { createProject, projectPhases, setProjectSandbox } from '../projects.js';
import { actorOf, adminProcedure, authorProcedure, readProcedure, router } from '../trpc.js';

const AuditReason = boundedText(2_000, 'the reason', { trim: true }).min(
  3,
  'say why, in a few words: it goes to the audit log',
);

export const projectRouter = router({
  create: authorProcedure.input(ProjectInput).mutation(({ ctx, input }) => createProject(ctx, input)),

  list: readProcedure.query(async ({ ctx }) =>
    (await ctx.prisma.project.findMany({ select: projectSelect, orderBy: { name: 'asc' } })).map((project) => ({
      ...project,
      phases: projectPhases(project),
    })),
  ),

  /** Changes the budget tiers; subtasks held at a limit look again (and go on if it is no longer reached). */
  setBudget: adminProcedure
    .input(
      z
        .strictObject({
          name: ProjectName,
          reason: AuditReason,
        })
        .extend(BudgetInput.shape)
        .refine(
          (input) => input.softUsd !== undefined || input.hardUsd !== undefined || input.emergencyUsd !== undefined,
          'give softUsd, hardUsd or emergencyUsd',
        ),
    )
    .mutation(({ ctx, input }) =>
      setBudget(
        ctx,
        input.name,
        { softUsd: input.softUsd, hardUsd: input.hardUsd, emergencyUsd: input.emergencyUsd },
        actorOf(ctx),
        input.reason,
      ),
    ),

  /** Changes which of the project's commands get the network in the sandbox (none, install, all). */
  setSandbox: adminProcedure
    .input(
      z.strictObject({
        name: ProjectName,
        network: ProjectSandbox.shape.network.unwrap(),
        reason: AuditReason,
      }),
    )
    .mutation(({ ctx, input }) =>
      setProjectSandbox(ctx, input.name, { network: input.network }, actorOf(ctx), input.reason),
    ),

  get: readProcedure.input(z.strictObject({ name: ProjectName })).query(async ({ ctx, input }) => {
    const project = await ctx.prisma.project.findUnique({ where: { name: input.name }, select: projectSelect });
    if (!project) throw new TRPCError({ code: 'NOT_FOUND', message: `No project named ${input.name}.` });
    return { ...project, phases: projectPhases(project) };
  }),
});
