import { TRPCClientError } from '@trpc/client';
import { ZodError } from 'zod';
import { CallTimeoutError } from './client.js';

/** Exit codes scripts can trust. */
export const EXIT = { ok: 0, refused: 1, usage: 2, unreachable: 3 } as const;

/** A mistake in the command line: what to fix. Exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The server answered no, or something failed there: its message. Exit 1. */
export class RefusedError extends Error {
  override readonly name = 'RefusedError';
}

/** The API did not answer (or did not answer as the Maestro API). Exit 3. */
export class UnreachableError extends Error {
  override readonly name = 'UnreachableError';
}

/** zod's issues as one line per problem, naming the argument or option. */
export function describeZodError(error: ZodError, names: Record<string, string> = {}): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map(String).join('.');
      const name = names[path] ?? (path ? `--${path.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}` : '');
      return name ? `${name}: ${issue.message}` : issue.message;
    })
    .join('\n');
}

/** Sorts any failure into the three kinds above, with a message for a person. */
export function classify(error: unknown, url: string): { code: number; message: string } {
  const timeout = timeoutIn(error);
  if (timeout)
    return {
      code: EXIT.unreachable,
      message: `The Maestro API at ${timeout.url} did not answer within ${timeout.timeoutMs / 1000} s, so the command gave up (it may have been done all the same: look before repeating a change). Check that the API at --url or MAESTRO_API_URL is Maestro's and running, or allow longer with --timeout <seconds> or MAESTRO_CLI_TIMEOUT.`,
    };
  if (error instanceof UsageError) return { code: EXIT.usage, message: error.message };
  if (error instanceof ZodError) return { code: EXIT.usage, message: describeZodError(error) };
  if (error instanceof RefusedError) return { code: EXIT.refused, message: error.message };
  if (error instanceof UnreachableError) return { code: EXIT.unreachable, message: error.message };
  if (error instanceof TRPCClientError) {
    const data = (error as TRPCClientError<never>).data as
      { code?: string; issues?: Array<{ path: string; message: string }> } | undefined;
    if (!data?.code) return { code: EXIT.unreachable, message: unreachable(url, causeOf(error)) };
    const issues = data.issues?.map((issue) => `  ${issue.path ? `${issue.path}: ` : ''}${issue.message}`).join('\n');
    const hint = data.code === 'UNAUTHORIZED' ? '\nPass an API token with --token or MAESTRO_TOKEN.' : '';
    return {
      code: EXIT.refused,
      message: `${issues ? 'The server refused the input:\n' + issues : error.message}${hint}`,
    };
  }
  return { code: EXIT.refused, message: error instanceof Error ? error.message : String(error) };
}

export function unreachable(url: string, reason: string): string {
  return `Cannot reach the Maestro API at ${url} (${reason}). Start Maestro with \`npm start\` in its directory, or point --url or MAESTRO_API_URL at a running API.`;
}

function timeoutIn(error: unknown): CallTimeoutError | undefined {
  for (let current = error; current instanceof Error; current = current.cause)
    if (current instanceof CallTimeoutError) return current;
  return undefined;
}

function causeOf(error: Error): string {
  let current: unknown = error;
  let reason = error.message;
  while (current instanceof Error) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code === 'ECONNREFUSED' ? 'connection refused' : code;
    if (current.name === 'TimeoutError' || current.name === 'AbortError') return 'no answer in time';
    reason = current.message || reason;
    current = current.cause;
  }
  if (/Unable to transform response|Unexpected token|JSON/.test(reason)) return 'the answer is not the Maestro API’s';
  return reason;
}
