import { setTimeout as sleep } from 'node:timers/promises';
import type { SubtaskHarness } from '../test/support/subtask-harness.js';

const LOOK_EVERY_MS = 500;

/**
 * The subtask's end. A bench has no person to answer a block: a subtask that blocks fails the
 * bench at once, with its reason, instead of waiting forever.
 */
export async function subtaskEnd(harness: SubtaskHarness, project: string, key: string, workflowId: string) {
  const result = harness.temporal.workflow.getHandle(workflowId).result();
  let ended = false;
  const watch = (async () => {
    while (!ended) {
      const state = await harness.api.subtask.state.query({ project, key }).catch(() => undefined);
      if (state?.status === 'blocked')
        throw new Error(
          `${project} ${key} blocked in ${state.phase ?? 'no phase'}: ${state.blocked?.reason ?? 'no reason given'}`,
        );
      await sleep(LOOK_EVERY_MS);
    }
  })();
  try {
    return await Promise.race([result, watch.then(() => result)]);
  } finally {
    ended = true;
  }
}
