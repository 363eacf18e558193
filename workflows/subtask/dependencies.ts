import { condition, getExternalWorkflowHandle, log } from '@temporalio/workflow';
import { dependencyCompletedSignal } from './subtask.shared.js';
import { waitForPerson } from './person.js';
import type { SubtaskRun } from './run.js';

/** How often the dependencies are looked at again, in case a signal was missed. */
const DEPENDENCY_RECHECK = '1 hour';

/**
 * Waits until every dependency is completed: woken by their signal, and rechecked now and then in
 * case a signal was missed. A cancelled dependency blocks: a person starts anyway (retry) or cancels.
 */
export async function waitForDependencies(run: SubtaskRun): Promise<'ready' | 'cancelled'> {
  const { state, waitingFor, interrupts } = run;
  for (;;) {
    const status = await run.progress.dependencyStatus({ projectId: run.project.id, keys: run.spec.dependencies });
    if (status.cancelled.length > 0) {
      const answer = await waitForPerson(
        run,
        'waiting',
        {
          reason: `the dependencies ${status.cancelled.join(', ')} were cancelled: start anyway, or cancel`,
          options: ['retry', 'cancel'],
        },
        1,
      );
      if (answer.kind === 'cancel') {
        interrupts.keep(answer);
        return 'cancelled';
      }
      return 'ready';
    }
    if (status.pending.length === 0) {
      state.waitingFor = undefined;
      return 'ready';
    }
    const announce = state.waitingFor === undefined;
    waitingFor.clear();
    for (const key of status.pending) waitingFor.add(key);
    state.waitingFor = [...waitingFor];
    if (announce)
      await run.audit.record([
        {
          actor: 'orchestrator',
          kind: 'subtask.waiting',
          message: `waiting for ${status.pending.join(', ')} to complete`,
        },
      ]);
    await condition(() => waitingFor.size === 0 || interrupts.pending()?.kind === 'cancel', DEPENDENCY_RECHECK);
    if (interrupts.pending()?.kind === 'cancel') return 'cancelled';
  }
}

/** This subtask is merged: the subtasks waiting for it are told. */
export async function unblockDependents(run: SubtaskRun): Promise<void> {
  const dependents = await run.progress.dependentWorkflows({ projectId: run.project.id, key: run.spec.key });
  for (const workflowId of dependents) {
    await getExternalWorkflowHandle(workflowId)
      .signal(dependencyCompletedSignal, { key: run.spec.key })
      .catch((error: unknown) =>
        log.warn('could not signal a dependent subtask', { workflowId, error: String(error) }),
      );
  }
  if (dependents.length > 0)
    await run.audit.record([
      { actor: 'orchestrator', kind: 'subtask.dependents_unblocked', message: `unblocked ${dependents.join(', ')}` },
    ]);
}
