import { ApplicationFailure, condition, isCancellation, patched, uuid4 } from '@temporalio/workflow';
import { OPTION_LABELS } from '../../domain/escalation.js';
import type { OverrideAction } from '../../domain/override-rules.js';
import { failureMessage } from '../failure-message.js';
import type { BlockedState } from './subtask.shared.js';
import type { Interrupt } from './interrupts.js';
import type { SubtaskRun } from './run.js';

type Block = Omit<BlockedState, 'since' | 'escalationId'>;

/**
 * Without reminders the wait is a condition with no timeout, which resolves to nothing, not true:
 * before this patch an answered escalation then wrote reminders without end.
 */
const WAIT_WITHOUT_REMINDERS_ENDS = 'escalation-wait-without-reminders-ends';

/**
 * Blocks with an escalation until a person answers: with an override, or — for a block that offers
 * `raise_budget` — by changing the project's budget (then this returns 'budget_changed').
 */
export async function escalate(
  run: SubtaskRun,
  phase: string,
  block: Block,
  tier: number,
): Promise<Interrupt | 'budget_changed'> {
  const { state, progress, interrupts } = run;
  const escalationId = uuid4();
  const waitsForBudget = block.options.includes('raise_budget');
  state.blocked = { ...block, since: new Date(Date.now()).toISOString(), escalationId };
  state.blocked.tier = tier;
  await progress.openEscalation({
    id: escalationId,
    subtaskId: run.input.subtaskId,
    phase,
    tier,
    reason: block.reason,
    options: block.options.map((option) => ({
      id: option,
      label: OPTION_LABELS[option],
      detail: block.details?.[option],
    })),
    recommendedOption: block.options[0]!,
  });
  await run.transition('blocked', `blocked in ${phase}: ${block.reason}`, {
    data: { escalationId, options: block.options, tier },
  });
  // Nobody answering is not forgotten: a reminder now and then, in the log and on the escalation.
  const reminderMs = run.ladder.reminderMs > 0 ? run.ladder.reminderMs : undefined;
  const answered = () => interrupts.pending() !== undefined || (waitsForBudget && run.budgetChangedBy !== undefined);
  for (let reminders = 1; ; reminders++) {
    if (reminderMs === undefined && patched(WAIT_WITHOUT_REMINDERS_ENDS)) {
      await condition(answered);
      break;
    }
    if (await condition(answered, reminderMs)) break;
    await progress.remindEscalation({ id: escalationId, at: Date.now() });
    await run.audit.record([
      {
        actor: 'orchestrator',
        kind: 'escalation.reminder',
        message: `still waiting for a person (reminder ${reminders}): ${block.reason}`,
        data: { escalationId, options: block.options },
      },
    ]);
  }
  state.blocked = undefined;
  if (!interrupts.pending()) {
    const actor = run.budgetChangedBy!;
    run.budgetChangedBy = undefined;
    await progress.resolveEscalation({
      id: escalationId,
      status: 'resolved',
      chosenOption: 'raise_budget',
      resolvedBy: actor,
      comment: 'the project budget was changed',
      at: Date.now(),
    });
    return 'budget_changed';
  }
  const answer = interrupts.take();
  await progress.resolveEscalation({
    id: escalationId,
    status: answer.kind === 'cancel' ? 'withdrawn' : 'resolved',
    chosenOption: answer.kind,
    resolvedBy: answer.actor,
    comment: 'reason' in answer ? answer.reason : answer.hint,
    at: Date.now(),
  });
  return answer;
}

/** Waits for a person to answer a block with one of its options (or force complete, or cancel). */
export async function waitForPerson(
  run: SubtaskRun,
  phase: string,
  block: Block & { options: Array<OverrideAction | 'retry_with_model'> },
  tier: number,
): Promise<Interrupt> {
  const answer = await escalate(run, phase, block, tier);
  // Only a block that offers raise_budget can end with the budget changed.
  if (answer === 'budget_changed')
    throw ApplicationFailure.nonRetryable(
      'a block without raise_budget ended with the budget changed',
      'InvariantBroken',
    );
  return answer;
}

/**
 * A step that must succeed before the work can go on (setup, baseline, merge): when it fails, a
 * person decides (retry, or the other options). Returns the result, or the interrupt that ended it.
 */
export async function mustSucceed<T>(
  run: SubtaskRun,
  what: string,
  phase: string,
  step: () => Promise<T>,
  options: OverrideAction[] = ['retry', 'cancel'],
): Promise<{ ok: T } | { answer: Interrupt }> {
  for (;;) {
    try {
      const result = await run.interrupts.run(step);
      if (result === undefined) return { answer: run.interrupts.take() };
      return { ok: result };
    } catch (error) {
      if (isCancellation(error)) throw error;
      const answer = await waitForPerson(
        run,
        phase,
        { reason: `${what} failed: ${failureMessage(error)}`, options },
        1,
      );
      if (answer.kind !== 'retry') return { answer };
    }
  }
}
