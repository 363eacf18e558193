import { TRPCError } from '@trpc/server';
import type { Client } from '@temporalio/client';
import { hasRole } from '../../domain/people.js';
import { type BlockedState, type OverrideInput, stateQuery } from '../../workflows/subtask/subtask.shared.js';
import type { Caller } from './auth/caller.js';

/**
 * Reviewers answer escalations: they may retry a blocked subtask with a hint, or choose an option its
 * open escalation offers — as offered (the model it names, the phase it goes back to). Every other
 * override, and any other choice, is an admin's.
 */
export async function assertMayOverride(
  client: Client,
  workflowId: string,
  caller: Caller,
  override: OverrideInput,
): Promise<void> {
  if (hasRole(caller.role, 'admin')) return;
  const blocked: BlockedState | undefined = await client.workflow
    .getHandle(workflowId)
    .query(stateQuery)
    .then((state) => state.blocked)
    .catch(() => undefined); // no such subtask: refused below like any other override of a non-admin
  const offered = (blocked?.options ?? []) as string[];
  const refuse = (what: string) => {
    throw new TRPCError({
      code: 'FORBIDDEN',
      message: `${what} needs the admin role; you are ${caller.role} (a reviewer may retry, or choose an option an escalation offers, as offered)`,
    });
  };
  if (override.action === 'retry') {
    if (override.model === undefined) return;
    const named = /another model: (\S+) has not/.exec(blocked?.details?.retry_with_model ?? '')?.[1];
    if (offered.includes('retry_with_model') && override.model === named) return;
    refuse(`retrying with ${override.model}`);
  }
  if (!offered.includes(override.action)) refuse(`override ${override.action}`);
  if (override.action === 'reset') {
    const named = /^Go back to (\w+)/.exec(blocked?.details?.reset ?? '')?.[1];
    if (override.phase !== named)
      refuse(`going back to ${override.phase} (the escalation offers ${named ?? 'no phase'})`);
  }
}
