import { ActivityCancellationType, proxyActivities } from '@temporalio/workflow';
import type { GatewayActivities } from '../activities/models/gateway-activities.js';
import type { ModelCallInput, ModelHttpResponse } from '../activities/models/gateway.js';

/**
 * One call to a model, made by a worker of that model's task queue: the queue's worker slots bound
 * the calls in flight and its rate limit (enforced by the Temporal server) bounds the calls per
 * second, for every caller in the cluster at once.
 */
export async function modelCallWorkflow(input: ModelCallInput): Promise<ModelHttpResponse> {
  const gateway = proxyActivities<GatewayActivities>({
    taskQueue: input.taskQueue,
    // Waiting for a free slot is how the limits work; waiting this long means no gateway serves the model.
    scheduleToStartTimeout: '15 minutes',
    startToCloseTimeout: input.timeoutMs + 30_000,
    heartbeatTimeout: '20 seconds',
    // The caller's client retries what is worth retrying (429s, 5xx), honouring retry-after.
    retry: { maximumAttempts: 1 },
    cancellationType: ActivityCancellationType.TRY_CANCEL,
  });
  return gateway.forwardModelCall(input);
}
