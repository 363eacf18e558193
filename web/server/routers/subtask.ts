import { z } from 'zod';
import { ProjectName } from '../../../domain/project.js';
import { SubtaskKey, SubtaskSpec } from '../../../domain/subtask-spec.js';
import { subtaskWorkflowId } from '../../../domain/naming.js';
import { SUBTASK_STATUSES } from '../../../domain/lifecycle.js';
import {
  ApproveInput,
  OverrideInput,
  RejectInput,
  approveUpdate,
  overrideUpdate,
  rejectUpdate,
} from '../../../workflows/subtask/subtask.shared.js';
import { readSubtaskState, sendUpdate, startSubtask } from '../subtasks.js';
import { assertMayOverride } from '../override-permission.js';
import { actorOf, authorProcedure, readProcedure, reviewProcedure, router } from '../trpc.js';
import { subtaskPageProcedures } from './subtask-page.js';

const SubtaskRef = z.strictObject({ project: ProjectName, key: SubtaskKey });

export const subtaskRouter = router({
  ...subtaskPageProcedures,
  start: authorProcedure.input(SubtaskSpec).mutation(({ ctx, input }) => startSubtask(ctx, input, actorOf(ctx))),

  list: readProcedure
    .input(
      z.strictObject({ project: ProjectName.optional(), status: z.enum(SUBTASK_STATUSES).optional() }).prefault({}),
    )
    .query(({ ctx, input }) =>
      ctx.prisma.subtask.findMany({
        where: {
          ...(input.project ? { project: { name: input.project } } : {}),
          ...(input.status ? { status: input.status } : {}),
        },
        select: {
          id: true,
          key: true,
          title: true,
          risk: true,
          status: true,
          phase: true,
          attempt: true,
          workflowId: true,
          updatedAt: true,
          project: { select: { name: true } },
        },
        orderBy: { updatedAt: 'desc' },
        take: 500,
      }),
    ),

  /** The live state, from the workflow itself. */
  state: readProcedure
    .input(SubtaskRef)
    .query(({ ctx, input }) => readSubtaskState(ctx.temporal.client, subtaskWorkflowId(input.project, input.key))),

  approve: reviewProcedure.input(SubtaskRef.extend(ApproveInput.shape)).mutation(({ ctx, input }) => {
    const workflowId = subtaskWorkflowId(input.project, input.key);
    const handle = ctx.temporal.client.workflow.getHandle(workflowId);
    return sendUpdate(workflowId, (updateId) =>
      handle.executeUpdate(approveUpdate, { updateId, args: [{ actor: actorOf(ctx), comment: input.comment }] }),
    );
  }),

  reject: reviewProcedure.input(SubtaskRef.extend(RejectInput.shape)).mutation(({ ctx, input }) => {
    const workflowId = subtaskWorkflowId(input.project, input.key);
    const handle = ctx.temporal.client.workflow.getHandle(workflowId);
    return sendUpdate(workflowId, (updateId) =>
      handle.executeUpdate(rejectUpdate, {
        updateId,
        args: [{ actor: actorOf(ctx), comment: input.comment, returnTo: input.returnTo }],
      }),
    );
  }),

  /** Reviewers may retry or answer an escalation with one of its options; the other overrides are an admin's. */
  override: reviewProcedure.input(SubtaskRef.extend({ override: OverrideInput })).mutation(async ({ ctx, input }) => {
    const workflowId = subtaskWorkflowId(input.project, input.key);
    await assertMayOverride(ctx.temporal.client, workflowId, ctx.caller, input.override);
    const handle = ctx.temporal.client.workflow.getHandle(workflowId);
    return sendUpdate(workflowId, (updateId) =>
      handle.executeUpdate(overrideUpdate, { updateId, args: [{ ...input.override, actor: actorOf(ctx) }] }),
    );
  }),
});
