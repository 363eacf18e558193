import { TRPCError } from '@trpc/server';
import type { Client } from '@temporalio/client';
import { hasRole } from '../../domain/people.js';
import { type OverrideAction, stateQuery } from '../../workflows/subtask.shared.js';
import type { Caller } from './auth/caller.js';

/**
 * Reviewers answer escalations: they may retry a blocked subtask, or choose any option its open
 * escalation offers (a skip or a reset, say, when the block offers it). Every other override — and any
 * override while nothing asks for a person — is an admin's.
 */
export async function assertMayOverride(client: Client, workflowId: string, caller: Caller, action: OverrideAction): Promise<void> {
  if (hasRole(caller.role, 'admin') || action === 'retry') return;
  const offered = await client.workflow
    .getHandle(workflowId)
    .query(stateQuery)
    .then((state) => state.blocked?.options ?? [])
    .catch(() => []); // no such subtask: refused below like any other override of a non-admin
  if ((offered as string[]).includes(action)) return;
  throw new TRPCError({
    code: 'FORBIDDEN',
    message: `override ${action} needs the admin role; you are ${caller.role} (a reviewer may retry, or choose an option an escalation offers)`,
  });
}
