import { ActivityFailure, ChildWorkflowFailure } from '@temporalio/workflow';

/** The first line of what went wrong: an activity's or a child workflow's own failure, not the wrapper's. */
export function failureMessage(error: unknown): string {
  if (error instanceof ActivityFailure || error instanceof ChildWorkflowFailure)
    return (error.cause ?? error).message.split('\n')[0]!;
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}
