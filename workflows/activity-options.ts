/**
 * The activity options the workflows use, by name: one place for timeouts, retries and queues, so
 * the subtask and the council workflows ask for the same kind of work the same way.
 */
import { ActivityCancellationType, type ActivityOptions, type LocalActivityOptions } from '@temporalio/workflow';
import { AGENT_FAILURE_TYPES } from '../domain/agent-failure.js';
import { TASK_QUEUES } from '../domain/queues.js';

/** How long work may take, from the workflow's input. */
export interface WorkLimits {
  /** A worker that stops heartbeating for this long is presumed dead; its task runs elsewhere. */
  heartbeatTimeoutMs: number;
  checkTimeoutMs: number;
  agentTimeoutMs: number;
}

/** An agent's failure that a retry cannot mend (the attempt failed, a provider failed, the budget stopped it). */
const AGENT_FAILURES_ARE_FINAL = Object.values(AGENT_FAILURE_TYPES);

/** The workflows' writes to the read model: quick local activities, retried until the database answers. */
export const READ_MODEL_WRITES: LocalActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { maximumInterval: '10 seconds' },
};

/** Git on the orchestrator's queue: worktrees, merges, rebases, a council's winner applied; a WorkspaceError is final. */
export const GIT_WORK: ActivityOptions = {
  taskQueue: TASK_QUEUES.orchestrator,
  startToCloseTimeout: '5 minutes',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: ['WorkspaceError'] },
};

/** The project's commands on the runner's queue; a cancel waits until the command's processes are gone. */
export function projectCommands(limits: Pick<WorkLimits, 'checkTimeoutMs' | 'heartbeatTimeoutMs'>): ActivityOptions {
  return {
    taskQueue: TASK_QUEUES.runner,
    startToCloseTimeout: limits.checkTimeoutMs,
    heartbeatTimeout: limits.heartbeatTimeoutMs,
    retry: { maximumAttempts: 3 },
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  };
}

/** An agent's run of one phase attempt, on its role's queue (or the one a person reassigned it to). */
export function agentRun(limits: WorkLimits, taskQueue: string): ActivityOptions {
  return {
    taskQueue,
    startToCloseTimeout: limits.agentTimeoutMs,
    heartbeatTimeout: limits.heartbeatTimeoutMs,
    retry: { maximumAttempts: 3, nonRetryableErrorTypes: AGENT_FAILURES_ARE_FINAL },
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  };
}

/**
 * A workflow's question to a model (a strategic review, a judge's scores), on the model's own queue
 * (its slots and rate limit): waiting for a slot is how the limits work, and a retry is a gateway
 * that went away mid-call.
 */
export function modelQuestion(
  limits: Pick<WorkLimits, 'heartbeatTimeoutMs'>,
  taskQueue: string,
  callTimeoutMs: number,
): ActivityOptions {
  return {
    taskQueue,
    scheduleToStartTimeout: '15 minutes',
    // The SDK's own retries of 429s and 5xx: three calls at most.
    startToCloseTimeout: callTimeoutMs * 3 + 30_000,
    heartbeatTimeout: limits.heartbeatTimeoutMs,
    retry: { maximumAttempts: 3, nonRetryableErrorTypes: AGENT_FAILURES_ARE_FINAL },
    cancellationType: ActivityCancellationType.TRY_CANCEL,
  };
}

/** The orchestrator's strategic review of a phase's failures. */
export function strategicReview(limits: WorkLimits): ActivityOptions {
  return {
    taskQueue: TASK_QUEUES.orchestrator,
    startToCloseTimeout: limits.agentTimeoutMs,
    heartbeatTimeout: limits.heartbeatTimeoutMs,
    retry: { maximumAttempts: 2, nonRetryableErrorTypes: AGENT_FAILURES_ARE_FINAL },
  };
}

/**
 * A council member's proposal, or the judge's verdict: a retry after a crash shares the member's
 * time, so a hung member is cut once, not twice.
 */
export function councilWork(limits: { memberTimeoutMs: number; heartbeatTimeoutMs: number }): ActivityOptions {
  return {
    taskQueue: TASK_QUEUES.council,
    startToCloseTimeout: limits.memberTimeoutMs,
    scheduleToCloseTimeout: limits.memberTimeoutMs,
    heartbeatTimeout: limits.heartbeatTimeoutMs,
    retry: { maximumAttempts: 2, nonRetryableErrorTypes: [...AGENT_FAILURES_ARE_FINAL, 'JudgeFailure'] },
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  };
}
