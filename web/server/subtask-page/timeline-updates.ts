import type proto from '@temporalio/proto';
import { approveUpdate, overrideUpdate, rejectUpdate } from '../../../workflows/subtask/subtask.shared.js';
import { decode } from './timeline-format.js';
import type { TimelineDecision, TimelineStep } from './timeline-types.js';

/** The gates waiting for a person when a decision arrives: the decision may answer them. */
export interface OpenGates {
  approval?: TimelineStep;
  escalation?: TimelineStep;
}

/** The decision a signal records: who sent it, and for a dependency's signal which one completed. */
export function signalDecision(
  id: number,
  at: string,
  attributes: proto.temporal.api.history.v1.IWorkflowExecutionSignaledEventAttributes,
  currentPhase: string,
): TimelineDecision {
  const input = decode(attributes.input?.payloads?.[0]) as { actor?: string; key?: string } | undefined;
  return {
    id,
    at,
    actor: input?.actor ?? attributes.identity ?? 'unknown',
    kind: 'signal',
    action: attributes.signalName ?? 'signal',
    detail: input?.key ? `dependency ${input.key} completed` : undefined,
    phase: currentPhase,
  };
}

/**
 * The decision an accepted update records (an approval, a rejection, an override), after marking
 * the open gates it answers; none for the workflow's other updates.
 */
export function acceptedUpdateDecision(
  id: number,
  at: string,
  attributes: proto.temporal.api.history.v1.IWorkflowExecutionUpdateAcceptedEventAttributes,
  gates: OpenGates,
  currentPhase: string,
): TimelineDecision | undefined {
  const name = attributes.acceptedRequest?.input?.name ?? 'update';
  const args = (decode(attributes.acceptedRequest?.input?.args?.payloads?.[0]) ?? {}) as Record<string, unknown>;
  const actor = typeof args.actor === 'string' ? args.actor : (attributes.acceptedRequest?.meta?.identity ?? 'unknown');
  if (name === approveUpdate.name || name === rejectUpdate.name) {
    const approved = name === approveUpdate.name;
    const kind = approved ? 'approve' : 'reject';
    const gate = gates.approval;
    if (gate) {
      gate.status = approved ? 'completed' : 'failed';
      gate.actor = actor;
      gate.outcome = approved
        ? `approved by ${actor}${args.comment ? `: ${String(args.comment)}` : ''}`
        : `rejected by ${actor}, back to ${String(args.returnTo)}: ${String(args.comment ?? '')}`;
    }
    return {
      id,
      at,
      actor,
      kind,
      action: kind,
      detail: approved
        ? typeof args.comment === 'string' && args.comment
          ? args.comment
          : undefined
        : `back to ${String(args.returnTo)}: ${String(args.comment ?? '')}`,
      phase: gate?.phase ?? currentPhase,
    };
  }
  if (name === overrideUpdate.name) {
    const action = typeof args.action === 'string' ? args.action : 'override';
    const details = [
      typeof args.phase === 'string' ? `to ${args.phase}` : undefined,
      typeof args.role === 'string' ? `${args.role} → ${String(args.taskQueue)}` : undefined,
      typeof args.model === 'string' ? `with ${args.model}` : undefined,
      typeof args.reason === 'string' && args.reason ? args.reason : undefined,
      typeof args.hint === 'string' && args.hint ? `hint: ${args.hint}` : undefined,
    ].filter(Boolean);
    if (gates.escalation && action !== 'pause' && action !== 'resume' && action !== 'reassign') {
      gates.escalation.actor = actor;
      gates.escalation.outcome = `answered by ${actor}: ${action.replace('_', ' ')}`;
    }
    if (gates.approval && (action === 'force_complete' || action === 'cancel' || action === 'reset')) {
      gates.approval.actor = actor;
      gates.approval.status = action === 'force_complete' ? 'completed' : 'cancelled';
      gates.approval.outcome = `${action.replace('_', ' ')} by ${actor}`;
    }
    return {
      id,
      at,
      actor,
      kind: 'override',
      action,
      detail: details.join(' · ') || undefined,
      phase: currentPhase,
    };
  }
  return undefined;
}
