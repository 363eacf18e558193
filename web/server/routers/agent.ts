import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { type LiveSubtask, buildBriefing } from '../../../data/briefing.js';
import { stateQuery } from '../../../workflows/subtask/subtask.shared.js';
import { readProcedure, router } from '../trpc.js';

export const agentRouter = router({
  /**
   * Everything about a subtask in one call — the same data agents get in their prompts: the subtask,
   * its checklist, what each role must do, the files that matter with snippets, the last 10 events and
   * what is still open.
   */
  briefing: readProcedure
    .input(z.strictObject({ subtaskId: z.uuid('give the subtask id (a UUID), as subtask.list shows it') }))
    .query(async ({ ctx, input }) => {
      const subtask = await ctx.prisma.subtask.findUnique({
        where: { id: input.subtaskId },
        select: { workflowId: true },
      });
      if (!subtask) throw new TRPCError({ code: 'NOT_FOUND', message: `No subtask ${input.subtaskId}.` });
      let live: LiveSubtask = {};
      try {
        live = await ctx.temporal.client.workflow.getHandle(subtask.workflowId).query(stateQuery);
      } catch (error) {
        ctx.log.debug({ err: error, workflowId: subtask.workflowId }, 'briefing without the live state');
      }
      return buildBriefing(ctx.prisma, input.subtaskId, live);
    }),
});
