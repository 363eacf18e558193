import { randomUUID } from 'node:crypto';
import { type Client, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, TimeoutFailure, TimeoutType } from '@temporalio/common';
import { GATEWAY_STOPPED } from '../../domain/agent-failure.js';
import { TASK_QUEUES } from '../../domain/queues.js';
import { MODEL_CALL_WORKFLOW } from '../../workflows/model-call.shared.js';
import { type ModelCallInput, type ModelHttpResponse, type ServedProvider, forwardModelCall } from './gateway.js';

/** A model call that got no answer from its gateway (refused, no key, no gateway polling): the provider's side. */
export class ModelCallError extends Error {}

/** How a model call travels from the caller to the provider. */
export type ModelTransport = (call: ModelCallInput, signal: AbortSignal | undefined) => Promise<ModelHttpResponse>;

/**
 * Through Temporal: the call runs on the model's own task queue, under its limits, by a worker that
 * holds the key. What this process sends carries no key.
 */
export function temporalTransport(client: Client, onCall?: (callId: string) => void): ModelTransport {
  return async (call, signal) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await callThroughWorkflow(client, call, signal, onCall);
      } catch (error) {
        if (signal?.aborted)
          throw signal.reason instanceof Error
            ? signal.reason
            : new DOMException('The call was cancelled.', 'AbortError');
        // A gateway that stopped or died mid-call said nothing of the model: the call goes to another.
        if (attempt < GATEWAY_ATTEMPTS && gatewayWentAway(error)) continue;
        throw new ModelCallError(failureMessage(error));
      }
    }
  };
}

/** How many gateways a call is given when the ones before went away (drained or killed) mid-call. */
export const GATEWAY_ATTEMPTS = 3;

async function callThroughWorkflow(
  client: Client,
  call: ModelCallInput,
  signal: AbortSignal | undefined,
  onCall?: (callId: string) => void,
): Promise<ModelHttpResponse> {
  signal?.throwIfAborted();
  const callId = `model-call-${call.modelId.replace(/[^\w.-]/g, '_')}-${randomUUID()}`;
  onCall?.(callId);
  const handle = await client.workflow.start(MODEL_CALL_WORKFLOW, {
    taskQueue: TASK_QUEUES.workflows,
    workflowId: callId,
    args: [call],
  });
  if (!signal) return handle.result();
  // Cancelling asks the call's workflow to end; this run does not wait for it (no workflow worker
  // may be left to do so when the whole process is draining).
  const aborted = new Promise<never>((_, reject) => {
    const onAbort = () => {
      void handle.cancel().catch(() => undefined);
      reject(
        signal.reason instanceof Error ? signal.reason : new DOMException('The call was cancelled.', 'AbortError'),
      );
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  return Promise.race([handle.result(), aborted]);
}

/** The call's gateway stopped (drained) or died (its heartbeats stopped) before the model answered. */
export function gatewayWentAway(error: unknown): boolean {
  for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof ApplicationFailure && cause.type === GATEWAY_STOPPED) return true;
    if (cause instanceof TimeoutFailure && cause.timeoutType === TimeoutType.HEARTBEAT) return true;
  }
  return false;
}

export { GATEWAY_STOPPED };

/** In this process, with this environment's keys, to one provider: for tests of the provider protocols. */
export function directTransport(served: ServedProvider, env: Record<string, string | undefined>): ModelTransport {
  return async (call, signal) =>
    (await forwardModelCall(call, served, env, signal ?? new AbortController().signal)).response;
}

/** A `fetch` for the AI SDK's providers that sends every request through the transport. */
export function fetchThrough(transport: ModelTransport, call: Omit<ModelCallInput, 'request'>): typeof fetch {
  return async (resource, init) => {
    const request = new Request(resource, init);
    const response = await transport(
      {
        ...call,
        request: {
          url: request.url,
          method: request.method,
          headers: Object.fromEntries(request.headers),
          body: request.method === 'GET' ? '' : await request.text(),
        },
      },
      init?.signal ?? undefined,
    );
    const empty = response.status === 204 || response.status === 304;
    return new Response(empty ? null : response.body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

function failureMessage(error: unknown): string {
  let cause: unknown = error instanceof WorkflowFailedError ? error.cause : error;
  while (cause instanceof Error && cause.cause instanceof Error && cause.message.startsWith('Activity task'))
    cause = cause.cause;
  return cause instanceof Error ? cause.message : String(cause);
}
