/**
 * How an agent's activity fails, as the workflows tell apart (the ApplicationFailure's type): a
 * provider's trouble or a budget stop is not the agent's attempt failing.
 */
export const AGENT_FAILURE_TYPES = {
  agent: 'AgentFailure',
  provider: 'ProviderFailure',
  budget: 'BudgetEmergency',
} as const;
export type AgentFailureType = (typeof AGENT_FAILURE_TYPES)[keyof typeof AGENT_FAILURE_TYPES];

/** The failure type of a gateway's call ended by its worker shutting down. */
export const GATEWAY_STOPPED = 'GatewayStopped';

/** The failure type of an activity whose worker process died: retried at once, as any failure is. */
export const WORKER_DIED = 'WorkerDied';
