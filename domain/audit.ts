/** One entry of the audit log: who did what, in words, with the data behind it. */
export interface AuditEvent {
  /** `user:alice`, `orchestrator`, `runner`, `council`… */
  actor: string;
  /** What happened, dotted: `subtask.transition`, `override.skip`, `check.passed`… */
  kind: string;
  message: string;
  data?: Record<string, unknown>;
}
