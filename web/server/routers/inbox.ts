import { z } from 'zod';
import { ProjectName } from '../../../domain/project.js';
import { inboxCounts, openEscalations, pendingApprovals } from '../inbox.js';
import { readProcedure, router } from '../trpc.js';
import { stateQuery } from '../../../workflows/subtask/subtask.shared.js';

/** How long the inbox waits for a workflow's phase plan before it falls back to the project's. */
const PLAN_QUERY_MS = 2_000;

const InboxInput = z
  .strictObject({ project: ProjectName.optional(), limit: z.int().min(1).max(500).default(200) })
  .prefault({});

export const inboxRouter = router({
  /** Approvals waiting for a person, oldest first: project, subtask, gate, risk, since when, who asked. */
  approvals: readProcedure.input(InboxInput).query(({ ctx, input }) =>
    pendingApprovals(ctx.prisma, input, Date.now(), async (workflowId) => {
      try {
        const { client } = ctx.temporal;
        const state = await client.connection.withDeadline(Date.now() + PLAN_QUERY_MS, () =>
          client.workflow.getHandle(workflowId).query(stateQuery),
        );
        return state.phasePlan;
      } catch (error) {
        ctx.log.debug({ err: error, workflowId }, 'return-to phases without the live state');
        return undefined;
      }
    }),
  ),

  /** Open escalations, oldest first, with their options (the recommended one marked), tier, reason and reminders. */
  escalations: readProcedure.input(InboxInput).query(({ ctx, input }) => openEscalations(ctx.prisma, input)),

  /** How many approvals and escalations wait. */
  counts: readProcedure
    .input(z.strictObject({ project: ProjectName.optional() }).prefault({}))
    .query(({ ctx, input }) => inboxCounts(ctx.prisma, input.project)),
});
