import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Question } from '../activities/agents/ask-model.js';
import type { GatewayActivities } from '../activities/models/gateway-activities.js';
import { modelTaskQueue } from '../domain/models.js';
import { type WorkLimits, modelQuestion } from './activity-options.js';

/** The workflows ask their models' questions themselves, on the models' queues (no activity around a workflow per call). */
export const QUESTIONS_ON_MODEL_QUEUES = 'questions-on-model-queues';

/**
 * Asks a model one question from workflow code: one activity on the model's queue, which meters
 * each HTTP call into the ledger under `<workflow>/<run>/<name>` (no workflow per call).
 */
export function askModelQuestion(
  limits: Pick<WorkLimits, 'heartbeatTimeoutMs'>,
  question: Question & { timeoutMs: number },
  name: string,
): Promise<{ text: string; costUsd: string; calls: number }> {
  const { workflowId, runId } = workflowInfo();
  const model = proxyActivities<GatewayActivities>(
    modelQuestion(limits, modelTaskQueue(question.choice.id), question.timeoutMs),
  );
  return model.askModelStep({ ...question, callId: `${workflowId}/${runId}/${name}` });
}
