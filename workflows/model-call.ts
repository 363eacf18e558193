import { ActivityCancellationType, proxyActivities, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { GatewayActivities } from '../activities/models/gateway-activities.js';
import type { ModelCallInput, ModelHttpResponse } from '../activities/models/gateway.js';
import type { LedgerActivities } from '../activities/models/ledger-activities.js';

const ledger = proxyLocalActivities<LedgerActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumInterval: '10 seconds' },
});

/**
 * One call to a model, made by a worker of that model's task queue: the queue's worker slots bound
 * the calls in flight and its rate limit (enforced by the Temporal server) bounds the calls per
 * second, for every caller at once (the slots of one process; the rate limit of the whole cluster).
 * The gateway answers with the response and what it cost; the ledger write that follows is retried
 * until it succeeds, so every answered call is charged once.
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
  const { response, charge } = await gateway.forwardModelCall(input);
  await ledger.chargeModelCall({
    callId: workflowInfo().workflowId,
    modelId: input.modelId,
    providerId: input.providerId,
    meta: input.meta,
    charge,
  });
  return response;
}
