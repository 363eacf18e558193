import { TRPCClientError } from '@trpc/client';

/** What went wrong, in the words the server chose: its input issues when there are some, else its message. */
export function describeError(error: unknown): string {
  if (error instanceof TRPCClientError) {
    const data = error.data as { issues?: Array<{ path: string; message: string }> } | undefined;
    if (data?.issues?.length) return data.issues.map((issue) => issue.message).join('; ');
    return error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
