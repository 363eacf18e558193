import { condition, uuid4 } from '@temporalio/workflow';
import type { PhaseName } from '../../domain/phases.js';
import type { SubtaskRun } from './run.js';

/** How a gate ended: approved (or forced through), cancelled, or sent back to a phase with the reviewer's words. */
export type GateEnd = 'approved' | 'cancelled' | { phase: PhaseName; reviewerComment: string };

/** Opens an approval and waits for the decision, a cancel, a forced completion or a reset. */
export async function gate(run: SubtaskRun, kind: 'plan' | 'merge'): Promise<GateEnd> {
  const { state, progress, interrupts } = run;
  const approvalId = uuid4();
  run.decision = undefined;
  state.pendingGate = { gate: kind, approvalId, since: new Date(Date.now()).toISOString() };
  await progress.openApproval({ id: approvalId, subtaskId: run.input.subtaskId, gate: kind });
  await run.audit.record([
    {
      actor: 'orchestrator',
      kind: 'approval.requested',
      message: `waiting for approval of the ${kind} (risk ${run.spec.risk})`,
      data: { approvalId, gate: kind },
    },
  ]);
  await condition(() => run.pendingDecision() !== undefined || interrupts.pending() !== undefined);
  state.pendingGate = undefined;
  const answer = run.pendingDecision();
  if (!answer) {
    const override = interrupts.take();
    await progress.decideApproval({ id: approvalId, status: 'withdrawn', decidedBy: override.actor, at: Date.now() });
    switch (override.kind) {
      case 'force_complete':
        return 'approved';
      case 'reset':
        if (state.status === 'ready_for_review')
          await run.transition('in_progress', `reset to ${override.phase} by ${override.actor}`);
        return { phase: override.phase, reviewerComment: `reset by ${override.actor}: ${override.reason}` };
      default:
        interrupts.keep(override);
        return 'cancelled';
    }
  }
  run.decision = undefined;
  await progress.decideApproval({
    id: approvalId,
    status: answer.approved ? 'approved' : 'rejected',
    decidedBy: answer.actor,
    comment: answer.comment,
    returnToPhase: answer.approved ? undefined : answer.returnTo,
    at: Date.now(),
  });
  await run.audit.record([
    {
      actor: answer.actor,
      kind: answer.approved ? 'approval.approved' : 'approval.rejected',
      message: answer.approved
        ? `${kind} approved${answer.comment ? `: ${answer.comment}` : ''}`
        : `${kind} rejected, back to ${answer.returnTo}: ${answer.comment}`,
      data: { approvalId, gate: kind },
    },
  ]);
  if (answer.approved) return 'approved';
  if (state.status === 'ready_for_review')
    await run.transition('in_progress', `sent back to ${answer.returnTo} by ${answer.actor}`);
  return { phase: answer.returnTo, reviewerComment: answer.comment };
}
