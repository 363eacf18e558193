import { createTRPCClient, httpLink, httpSubscriptionLink, splitLink } from '@trpc/client';
import { EventSource } from 'eventsource';
import type { AppRouter } from '../web/server/root.js';

export type Api = ReturnType<typeof createTRPCClient<AppRouter>>;

export interface Connection {
  /** The API's base URL, without `/trpc`. */
  url: string;
  /** An API token (`mst_…`), sent as `Authorization: Bearer`; never printed. */
  token?: string;
}

/** How long a call may take: an approval waits for the workflow to accept it, a few seconds at most. */
const CALL_TIMEOUT_MS = 60_000;

/** A tRPC client for the Maestro API: plain HTTP for calls, server-sent events for `--follow`. */
export function createApi({ url, token }: Connection): Api {
  const authorization: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const endpoint = `${url.replace(/\/+$/, '')}/trpc`;
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({
          url: endpoint,
          EventSource,
          eventSourceOptions: {
            fetch: (input, init) => fetch(input, { ...init, headers: { ...init?.headers, ...authorization } }),
          },
        }),
        false: httpLink({
          url: endpoint,
          headers: () => authorization,
          fetch: (input, init) => {
            const timeout = AbortSignal.timeout(CALL_TIMEOUT_MS);
            const signal = init?.signal ? AbortSignal.any([init.signal as AbortSignal, timeout]) : timeout;
            return fetch(input, { ...init, signal } as RequestInit);
          },
        }),
      }),
    ],
  });
}
