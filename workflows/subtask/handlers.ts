import { ApplicationFailure, log, setHandler } from '@temporalio/workflow';
import type * as z from 'zod/mini';
import { nothingToDecide, overrideProblem, returnToProblem } from '../../domain/override-rules.js';
import {
  ApproveInput,
  BudgetChangedMessage,
  DependencyCompletedMessage,
  OverrideInput,
  RejectInput,
  approveUpdate,
  budgetChangedSignal,
  dependencyCompletedSignal,
  describeIssues,
  missingActor,
  overrideUpdate,
  rejectUpdate,
  stateQuery,
} from './subtask.shared.js';
import type { SubtaskRun } from './run.js';

/** Why a well-formed message cannot be taken now, and the failure type the caller sees. */
type Refusal = { type: string; message: string } | undefined;

/**
 * The validator of an update: the message must parse and say who sends it, then `refusal` says
 * whether the workflow can take it now. A refused update never reaches the history.
 */
function validator<T extends { actor?: unknown }>(schema: z.ZodMiniType<T>, refusal: (message: T) => Refusal) {
  return (message: T) => {
    const parsed = schema.safeParse(message);
    if (!parsed.success) throw ApplicationFailure.nonRetryable(describeIssues(parsed.error), 'InvalidInput');
    const noActor = missingActor(message);
    if (noActor) throw ApplicationFailure.nonRetryable(noActor, 'InvalidInput');
    const refused = refusal(message);
    if (refused) throw ApplicationFailure.nonRetryable(refused.message, refused.type);
  };
}

/**
 * The handler of a signal: a message that does not parse is dropped with a warning, since throwing
 * would fail the workflow task on every retry and wedge the subtask.
 */
function parsedSignal<T>(name: string, schema: z.ZodMiniType<T>, handle: (message: T) => void) {
  return (message: T) => {
    const parsed = schema.safeParse(message);
    if (parsed.success) handle(parsed.data);
    else log.warn(`ignored a ${name} signal: ${describeIssues(parsed.error)}`);
  };
}

const refuse = (type: string, message: string | undefined): Refusal =>
  message === undefined ? undefined : { type, message };

/** The workflow's messages: the state query, the approve, reject and override updates, and the signals. */
export function registerHandlers(run: SubtaskRun): void {
  const { state } = run;
  const gateOpen = () => ({
    status: state.status,
    phase: state.phase,
    gate: state.pendingGate?.gate,
    decided: run.pendingDecision() !== undefined,
  });

  setHandler(stateQuery, () => state);

  setHandler(
    budgetChangedSignal,
    parsedSignal('budgetChanged', BudgetChangedMessage, ({ actor }) => {
      run.budgetChangedBy = actor;
    }),
  );

  setHandler(
    dependencyCompletedSignal,
    parsedSignal('dependencyCompleted', DependencyCompletedMessage, ({ key }) => {
      run.waitingFor.delete(key);
    }),
  );

  setHandler(
    approveUpdate,
    (approval) => {
      run.decision = { approved: true, actor: approval.actor!, comment: approval.comment };
      return state;
    },
    { validator: validator(ApproveInput, () => refuse('NothingToApprove', nothingToDecide(gateOpen()))) },
  );

  setHandler(
    rejectUpdate,
    (rejection) => {
      run.decision = {
        approved: false,
        actor: rejection.actor!,
        comment: rejection.comment,
        returnTo: rejection.returnTo,
      };
      return state;
    },
    {
      validator: validator(
        RejectInput,
        (rejection) =>
          refuse('NothingToApprove', nothingToDecide(gateOpen())) ??
          refuse(
            'InvalidInput',
            returnToProblem(state.pendingGate!.gate, rejection.returnTo, run.phases, state.phasePlan),
          ),
      ),
    },
  );

  setHandler(overrideUpdate, (override) => applyOverride(run, override), {
    validator: validator(OverrideInput, (override) =>
      refuse(
        'OverrideNotPossible',
        overrideProblem(
          override,
          {
            status: state.status,
            paused: state.paused,
            phase: state.phase,
            started: state.baseline !== undefined,
            blocked: state.blocked,
          },
          run.phases,
          run.interrupts.pending()?.kind,
          Object.keys(run.input.models.registry),
          state.phasePlan,
        ),
      ),
    ),
  });
}

/**
 * An override, applied at once so the next one is validated against it, and written to the audit
 * log before the update answers. The interrupting ones cut the running step short.
 */
async function applyOverride(run: SubtaskRun, override: OverrideInput) {
  const { state } = run;
  const actor = override.actor!;
  const during = state.phase;
  switch (override.action) {
    case 'pause':
      state.paused = true;
      break;
    case 'resume':
      state.paused = false;
      break;
    case 'reassign':
      state.queues[override.role] = override.taskQueue;
      break;
    case 'skip':
    case 'force_complete':
    case 'cancel':
      run.interrupts.give({ kind: override.action, actor, reason: override.reason, during });
      break;
    case 'reset':
      run.interrupts.give({ kind: 'reset', actor, reason: override.reason, phase: override.phase, during });
      break;
    case 'retry':
      run.interrupts.give({ kind: 'retry', actor, hint: override.hint, model: override.model, during });
      break;
  }
  await run.audit.record([
    {
      actor,
      kind: `override.${override.action}`,
      message: `${override.action.replace('_', ' ')}${'phase' in override ? ` to ${override.phase}` : ''}${override.reason ? `: ${override.reason}` : ''}`,
      data: { ...override, during, status: state.status },
    },
  ]);
  return state;
}
