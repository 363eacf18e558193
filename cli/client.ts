import { createTRPCClient, httpLink, httpSubscriptionLink, splitLink } from '@trpc/client';
import { EventSource } from 'eventsource';
import type { AppRouter } from '../web/server/root.js';

export type Api = ReturnType<typeof createTRPCClient<AppRouter>>;

export interface Connection {
  /** The API's base URL, without `/trpc`. */
  url: string;
  /** An API token (`mst_…`), sent as `Authorization: Bearer`; never printed. */
  token?: string;
  /** How long a call (not a subscription) may take before it is given up. */
  timeoutMs?: number;
}

/** How long a call may take by default: an approval waits for the workflow to accept it, a few seconds at most. */
export const DEFAULT_TIMEOUT_SECONDS = 60;

/** The API took longer than the timeout to answer a call. */
export class CallTimeoutError extends Error {
  constructor(
    readonly url: string,
    readonly timeoutMs: number,
  ) {
    super(`no answer from ${url} within ${timeoutMs / 1000} s`);
    this.name = 'CallTimeoutError';
  }
}

/**
 * A tRPC client for the Maestro API: plain HTTP for calls, each given up after `timeoutMs`
 * (answer read whole), and server-sent events for `--follow`, which runs until stopped.
 */
export function createApi({ url, token, timeoutMs = DEFAULT_TIMEOUT_SECONDS * 1000 }: Connection): Api {
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
          fetch: (input, init) => fetchWithin(url, timeoutMs, input, init as RequestInit | undefined),
        }),
      }),
    ],
  });
}

/**
 * A fetch that gives up after `timeoutMs`, the body included. Its own timer and controller:
 * Node 20 can collect an `AbortSignal.any` of `AbortSignal.timeout` before it fires, and the call
 * then waits forever.
 */
async function fetchWithin(
  url: string,
  timeoutMs: number,
  input: string | URL | Request,
  init: RequestInit | undefined,
): Promise<Response> {
  const controller = new AbortController();
  const outer = init?.signal;
  const forward = () => controller.abort(outer?.reason);
  if (outer?.aborted) forward();
  outer?.addEventListener('abort', forward, { once: true });
  const timer = setTimeout(() => controller.abort(new CallTimeoutError(url, timeoutMs)), timeoutMs);
  try {
    const response = await fetch(input, { ...init, signal: controller.signal });
    const body = await response.arrayBuffer();
    return new Response(body.byteLength > 0 ? body : null, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', forward);
  }
}
