import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { EscalationAnswerInput } from '../../domain/escalation-answer.js';
import { PHASE_NAMES } from '../../domain/phases.js';
import { type OverrideInput, overrideUpdate } from '../../workflows/subtask/subtask.shared.js';
import { readSubtaskState, sendUpdate } from './subtasks.js';
import { hasRole } from '../../domain/people.js';
import { type Context, callerOf } from './trpc.js';

const OfferedOption = z.array(z.object({ id: z.string(), detail: z.string().optional() }));

/**
 * Answers an open escalation with one of the options it offers: the option becomes the override the
 * waiting workflow accepts (a retry, with a hint or another model; a skip; a reset; a cancel).
 */
export async function answerEscalation(ctx: Context, input: EscalationAnswerInput, actor: string) {
  const escalation = await ctx.prisma.escalation.findUnique({
    where: { id: input.id },
    select: {
      id: true,
      status: true,
      options: true,
      resolvedBy: true,
      chosenOption: true,
      subtask: { select: { workflowId: true, key: true, project: { select: { name: true } } } },
    },
  });
  if (!escalation)
    throw new TRPCError({
      code: 'NOT_FOUND',
      message: `No escalation ${input.id}: see inbox.escalations (maestro escalations) for the open ones.`,
    });
  if (escalation.status !== 'open') {
    const by = escalation.resolvedBy ? ` by ${escalation.resolvedBy}` : '';
    throw new TRPCError({
      code: 'PRECONDITION_FAILED',
      message: `Escalation ${input.id} is ${escalation.status} already${by}${escalation.chosenOption ? ` (${escalation.chosenOption})` : ''}.`,
    });
  }
  const offered = OfferedOption.safeParse(escalation.options);
  const options = offered.success ? offered.data : [];
  const chosen = options.find((option) => option.id === input.option);
  // Only what the escalation offers: answering is a reviewer's right, other overrides stay an admin's.
  if (!chosen) {
    throw new TRPCError({
      code: 'BAD_REQUEST',
      message: `Escalation ${input.id} offers ${options.map((option) => option.id).join(', ')}; not ${input.option}.`,
    });
  }

  const workflowId = escalation.subtask.workflowId;
  const state = await readSubtaskState(ctx.temporal.client, workflowId);
  if (state.blocked?.escalationId !== input.id) {
    throw new TRPCError({
      code: 'PRECONDITION_FAILED',
      message: `Escalation ${input.id} no longer waits: the subtask is ${state.status}${state.phase ? ` in ${state.phase}` : ''}. Reload the inbox.`,
    });
  }
  const override = overrideFor(input, chosen?.detail, hasRole(callerOf(ctx).role, 'admin'));
  const handle = ctx.temporal.client.workflow.getHandle(workflowId);
  const after = await sendUpdate(workflowId, (updateId) =>
    handle.executeUpdate(overrideUpdate, { updateId, args: [{ ...override, actor } as OverrideInput] }),
  );
  // The state the workflow took the answer in: what the answer leads to comes after (subtask.state).
  return {
    escalationId: input.id,
    option: input.option,
    override: override.action,
    workflowId,
    project: escalation.subtask.project.name,
    key: escalation.subtask.key,
    status: after.status,
    phase: after.phase,
    paused: after.paused,
  };
}

/** A reviewer takes the option as offered (its phase, its model); only an admin may choose another. */
function overrideFor(input: EscalationAnswerInput, detail: string | undefined, admin: boolean): OverrideInput {
  const { reason } = input;
  const offeredOnly = (what: string, chosen: string | undefined, offered: string | undefined) => {
    if (!admin && chosen !== undefined && chosen !== offered) {
      throw new TRPCError({
        code: 'FORBIDDEN',
        message: `The escalation offers ${what} ${offered ?? '(none named)'}; choosing ${chosen} instead needs the admin role.`,
      });
    }
  };
  switch (input.option) {
    case 'retry':
      return { action: 'retry', reason, ...(input.hint ? { hint: input.hint } : {}) };
    case 'retry_with_model': {
      const offered = /another model: (\S+) has not/.exec(detail ?? '')?.[1];
      offeredOnly('the model', input.model, offered);
      const model = input.model ?? offered;
      if (!model)
        throw new TRPCError({
          code: 'BAD_REQUEST',
          message: 'retry_with_model: say which model (model: a registry id).',
        });
      return { action: 'retry', reason, model, ...(input.hint ? { hint: input.hint } : {}) };
    }
    case 'reset': {
      const named = /^Go back to (\w+)/.exec(detail ?? '')?.[1];
      offeredOnly('going back to', input.phase, named);
      const phase = input.phase ?? (PHASE_NAMES as readonly string[]).find((candidate) => candidate === named);
      if (!phase)
        throw new TRPCError({
          code: 'BAD_REQUEST',
          message: `reset: say which phase to go back to (phase: ${PHASE_NAMES.join(', ')}).`,
        });
      return { action: 'reset', reason, phase: phase as (typeof PHASE_NAMES)[number] };
    }
    case 'skip':
      return { action: 'skip', reason };
    case 'cancel':
      return { action: 'cancel', reason };
    case 'force_complete':
      return { action: 'force_complete', reason };
    case 'raise_budget':
      throw new TRPCError({
        code: 'BAD_REQUEST',
        message:
          "raise_budget is answered by raising the project's budget: project.setBudget (an admin), and the subtask goes on by itself.",
      });
  }
}
