import { TRPCError } from '@trpc/server';
import type { PrismaClient } from '../../../data/prisma.js';
import { type Caller, credentialProblem } from './caller.js';

/** How often an open stream looks again at the credential it was opened with. */
export const CREDENTIAL_RECHECK_MS = 2_000;

/**
 * A stream that lasts only while the credential it was opened with works: it is looked at again
 * every few seconds, and when the token is revoked, the session ends or the account is disabled the
 * stream stops and the client is told why (UNAUTHORIZED).
 */
export async function* whileCredentialHolds<T>(
  prisma: PrismaClient,
  caller: Caller,
  signal: AbortSignal | undefined,
  stream: (signal: AbortSignal) => AsyncIterable<T>,
  everyMs = CREDENTIAL_RECHECK_MS,
): AsyncGenerator<T> {
  const ended = new AbortController();
  let problem: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  const look = async () => {
    // A database hiccup is not a reason to end the stream: the next look decides.
    problem = await credentialProblem(prisma, caller).catch(() => undefined);
    if (problem) ended.abort();
    else if (!signal?.aborted) timer = setTimeout(() => void look(), everyMs);
  };
  timer = setTimeout(() => void look(), everyMs);
  try {
    yield* stream(signal ? AbortSignal.any([signal, ended.signal]) : ended.signal);
  } finally {
    clearTimeout(timer);
  }
  if (problem) throw new TRPCError({ code: 'UNAUTHORIZED', message: problem });
}
