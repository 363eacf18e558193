import { z } from 'zod';
import { ProjectName } from '../../../domain/project.js';
import { inboxCounts, openEscalations, pendingApprovals } from '../inbox.js';
import { readProcedure, router } from '../trpc.js';

const InboxInput = z
  .strictObject({ project: ProjectName.optional(), limit: z.int().min(1).max(500).default(200) })
  .prefault({});

export const inboxRouter = router({
  /** Approvals waiting for a person, oldest first: project, subtask, gate, risk, since when, who asked. */
  approvals: readProcedure.input(InboxInput).query(({ ctx, input }) => pendingApprovals(ctx.prisma, input)),

  /** Open escalations, oldest first, with their options (the recommended one marked), tier, reason and reminders. */
  escalations: readProcedure.input(InboxInput).query(({ ctx, input }) => openEscalations(ctx.prisma, input)),

  /** How many approvals and escalations wait. */
  counts: readProcedure
    .input(z.strictObject({ project: ProjectName.optional() }).prefault({}))
    .query(({ ctx, input }) => inboxCounts(ctx.prisma, input.project)),
});
