import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { ProjectInput, ProjectName } from '../../../domain/project.js';
import { projectSelect } from '../../../activities/store/projects.js';
import { createProject } from '../projects.js';
import { publicProcedure, router } from '../trpc.js';

export const projectRouter = router({
  create: publicProcedure.input(ProjectInput).mutation(({ ctx, input }) => createProject(ctx, input)),

  list: publicProcedure.query(({ ctx }) => ctx.prisma.project.findMany({ select: projectSelect, orderBy: { name: 'asc' } })),

  get: publicProcedure.input(z.object({ name: ProjectName })).query(async ({ ctx, input }) => {
    const project = await ctx.prisma.project.findUnique({ where: { name: input.name }, select: projectSelect });
    if (!project) throw new TRPCError({ code: 'NOT_FOUND', message: `No project named ${input.name}.` });
    return project;
  }),
});
