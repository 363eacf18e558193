import { randomUUID } from 'node:crypto';
import { type Client, WorkflowFailedError } from '@temporalio/client';
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
    const callId = `model-call-${call.modelId.replace(/[^\w.-]/g, '_')}-${randomUUID()}`;
    onCall?.(callId);
    const handle = await client.workflow.start(MODEL_CALL_WORKFLOW, {
      taskQueue: TASK_QUEUES.workflows,
      workflowId: callId,
      args: [call],
    });
    const cancel = () => void handle.cancel().catch(() => undefined);
    signal?.addEventListener('abort', cancel, { once: true });
    try {
      return await handle.result();
    } catch (error) {
      if (signal?.aborted)
        throw signal.reason instanceof Error
          ? signal.reason
          : new DOMException('The call was cancelled.', 'AbortError');
      throw new ModelCallError(failureMessage(error));
    } finally {
      signal?.removeEventListener('abort', cancel);
    }
  };
}

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
