import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  TimeoutFailure,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { AgentStepActivities, AgentRunRef } from '../activities/agents/agent-steps.js';
import type { PrunedItem } from '../activities/agents/pruning.js';
import type { FinishInput } from '../activities/agents/tools.js';
import type { GatewayActivities } from '../activities/models/gateway-activities.js';
import type { ModelStepInput } from '../activities/agents/model-step.js';
import type { AgentPhaseInput, AgentPhaseResult } from '../activities/subtask/agent-phase.js';
import { AGENT_FAILURE_TYPES, GATEWAY_STOPPED, WORKER_DIED } from '../domain/agent-failure.js';
import { modelTaskQueue } from '../domain/models.js';
import { formatUsdExact, parseUsd } from '../domain/money.js';
import type { WorkLimits } from './activity-options.js';

export interface AgentRunWorkflowInput {
  phase: AgentPhaseInput;
  /** The role's queue (or the one a person reassigned the phase to): it prepares the run. */
  roleQueue: string;
  limits: WorkLimits;
}

type ModelMessage = ModelStepInput['messages'][number];
type ToolResultPart = Extract<Extract<ModelMessage, { role: 'tool' }>['content'][number], { type: 'tool-result' }>;

const AGENT_FAILURES_ARE_FINAL = Object.values(AGENT_FAILURE_TYPES);

/**
 * One agent's run of one phase attempt, as a workflow: each model call is an activity on its
 * model's queue (its slots and rate limit are the model's), each tool call an activity on the
 * queue of the host that holds the worktree, and the loop between them is this code. A worker that
 * dies mid-run costs the step it was on, never the answered calls before it: they are in history.
 */
export async function agentRunWorkflow({ phase, roleQueue, limits }: AgentRunWorkflowInput): Promise<AgentPhaseResult> {
  const { workflowId, runId } = workflowInfo();
  const attemptTag = `${workflowId}/${runId}`;
  const role = proxyActivities<AgentStepActivities>({
    taskQueue: roleQueue,
    // A council member's preparation installs the project's dependencies in its fresh worktree.
    startToCloseTimeout: phase.council ? limits.checkTimeoutMs : '5 minutes',
    heartbeatTimeout: limits.heartbeatTimeoutMs,
    retry: { maximumAttempts: 5, nonRetryableErrorTypes: AGENT_FAILURES_ARE_FINAL },
  });
  const prepared = await role.prepareAgentRun({ input: phase, attemptTag });
  if (prepared.recovered) return prepared.recovered;
  const ref: AgentRunRef = { input: prepared.worktree ? { ...phase, worktree: prepared.worktree } : phase, attemptTag };
  const { council } = phase;

  const host = proxyActivities<AgentStepActivities>({
    taskQueue: prepared.hostQueue,
    startToCloseTimeout: limits.checkTimeoutMs,
    heartbeatTimeout: limits.heartbeatTimeoutMs,
    retry: { maximumAttempts: 5, nonRetryableErrorTypes: AGENT_FAILURES_ARE_FINAL },
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
  const model = proxyActivities<GatewayActivities>({
    taskQueue: modelTaskQueue(phase.model.id),
    // Waiting for a free slot is how the model's limits work; this long means no gateway serves it.
    scheduleToStartTimeout: '15 minutes',
    // The SDK's own retries of 429s and 5xx: three calls at most.
    startToCloseTimeout: prepared.callTimeoutMs * 3 + 30_000,
    heartbeatTimeout: limits.heartbeatTimeoutMs,
    // A retry is a gateway that went away mid-call (stopped or died): the step goes to another.
    retry: { maximumAttempts: 3, nonRetryableErrorTypes: AGENT_FAILURES_ARE_FINAL },
    cancellationType: ActivityCancellationType.TRY_CANCEL,
  });

  let messages: ModelMessage[] = prepared.messages;
  const filesWritten = new Set<string>();
  const pruned = new Map<string, PrunedItem>();
  let costPicos = 0n;
  let calls = 0;
  let steps = 0;
  let testRuns = 0;
  let finish: FinishInput | undefined;
  let text = '';

  try {
    while (steps < prepared.maxSteps) {
      const answer = await model.agentModelStep({
        callId: `${ref.attemptTag}/step-${steps + 1}`,
        step: steps + 1,
        choice: phase.model,
        // A council member's calls are the council's, and stop at its cap.
        meta: {
          projectId: phase.projectId,
          subtaskId: phase.subtaskId,
          workflowId: council ? council.councilId : phase.workflowId,
          role: council ? `council:${phase.model.id}` : phase.role,
          phase: phase.phase,
          purpose: council ? 'council' : 'agent',
        },
        spendCap: council ? { workflowId: council.councilId, usd: council.maxCostUsd } : undefined,
        system: prepared.system,
        messages,
        textMode: prepared.textMode,
        promptBudgetTokens: prepared.promptBudgetTokens,
        maxOutputTokens: phase.model.maxOutputTokens,
        timeoutMs: prepared.callTimeoutMs,
      });
      steps++;
      costPicos += parseUsd(answer.costUsd);
      calls += answer.calls;
      for (const item of answer.pruned) pruned.set(`${item.step}/${item.tool}/${item.rule}`, item);
      messages = [...(answer.prunedMessages ?? messages), ...answer.responseMessages];
      text = answer.text;
      if (prepared.textMode) break;

      const results: ToolResultPart[] = [];
      for (const call of answer.toolCalls) {
        if (call.toolName === 'finish') {
          if (answer.finish) finish = answer.finish;
          else results.push(toolResult(call, `error: finish needs a valid input: ${answer.finishError}`));
          continue;
        }
        const ran = await host.runAgentTool({
          ...ref,
          name: call.toolName,
          args: call.input,
          testRun: call.toolName === 'run_tests' ? ++testRuns : testRuns,
        });
        if (ran.wrote) filesWritten.add(ran.wrote);
        results.push(toolResult(call, ran.output));
      }
      if (finish) break;
      if (results.length === 0) break;
      messages = [...messages, { role: 'tool', content: results }];
    }

    if (!prepared.textMode && !finish)
      throw ApplicationFailure.nonRetryable(
        steps >= prepared.maxSteps
          ? `The agent did not finish within ${prepared.maxSteps} steps.`
          : `The agent stopped without calling finish${text ? `: ${cutText(text, 300)}` : ''}.`,
        AGENT_FAILURE_TYPES.agent,
      );
    const committed = await host.commitAgentRun({
      ...ref,
      filesWritten: [...filesWritten].sort(),
      finish,
      textAnswer: prepared.textMode ? text : undefined,
    });
    return {
      ...committed,
      steps,
      costUsd: formatUsdExact(costPicos),
      calls,
      pruned: [...pruned.values()],
    };
  } catch (error) {
    // The parent reads an agent's failure by its type, as it did when the run was one activity.
    if (error instanceof ActivityFailure && error.activityType === 'agentModelStep' && gatewayTrouble(error.cause))
      throw ApplicationFailure.create({
        message: `${phase.model.id}: no gateway answered the call (${error.cause?.message ?? 'it went away'})`,
        type: AGENT_FAILURE_TYPES.provider,
        nonRetryable: true,
        cause: error,
      });
    if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure && error.cause.type)
      throw ApplicationFailure.create({
        message: error.cause.message,
        type: error.cause.type,
        nonRetryable: true,
        cause: error,
      });
    throw error;
  }
}

/**
 * A model call that no gateway finished (none polled, or each went away mid-call): the provider's
 * side, so the subtask routes the attempt again (to a fallback model when there is one).
 */
function gatewayTrouble(cause: Error | undefined): boolean {
  if (cause instanceof TimeoutFailure) return true;
  return cause instanceof ApplicationFailure && (cause.type === GATEWAY_STOPPED || cause.type === WORKER_DIED);
}

function toolResult(call: { toolCallId: string; toolName: string }, output: string): ToolResultPart {
  return {
    type: 'tool-result',
    toolCallId: call.toolCallId,
    toolName: call.toolName,
    output: { type: 'text', value: output },
  };
}

function cutText(text: string, chars: number): string {
  return text.length > chars ? `${text.slice(0, chars)}\n[… cut at ${chars} characters]` : text;
}
