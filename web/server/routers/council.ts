import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { ProjectName } from '../../../domain/project.js';
import { SubtaskKey } from '../../../domain/subtask-spec.js';
import { winRates } from '../../../data/council.js';
import { readProcedure, router } from '../trpc.js';
import { resolveScope } from '../scope.js';

export const councilRouter = router({
  /** Councils, newest first: members, each candidate's tests, diff size and cost, the winner and why, applied, outcome. */
  list: readProcedure
    .input(
      z
        .strictObject({
          project: ProjectName.optional(),
          subtask: SubtaskKey.optional(),
          limit: z.int().min(1).max(200).default(50),
        })
        .prefault({}),
    )
    .query(async ({ ctx, input }) => {
      if (input.subtask && !input.project)
        throw new TRPCError({ code: 'BAD_REQUEST', message: 'a subtask key needs its project' });
      const { projectId, subtaskId } = await resolveScope(ctx.prisma, input);
      const sessions = await ctx.prisma.councilSession.findMany({
        where: { ...(projectId ? { projectId } : {}), ...(subtaskId ? { subtaskId } : {}) },
        orderBy: { startedAt: 'desc' },
        take: input.limit,
        include: { candidates: { orderBy: { model: 'asc' } } },
      });
      return sessions.map((session) => ({
        ...session,
        costUsd: session.costUsd.toFixed(12),
        candidates: session.candidates.map((candidate) => ({ ...candidate, costUsd: candidate.costUsd.toFixed(12) })),
      }));
    }),

  /** Wins over councils sat, per model and problem type: what the weighted strategy and first-attempt routing use. */
  winRates: readProcedure
    .input(
      z
        .strictObject({
          problemType: z
            .string()
            .max(100, 'a problem type has at most 100 characters')
            .regex(/^[a-z_]+\/[a-z_]+$/, 'a problem type like green/assertion')
            .optional(),
        })
        .prefault({}),
    )
    .query(({ ctx, input }) => winRates(ctx.prisma, { problemType: input.problemType })),
});
