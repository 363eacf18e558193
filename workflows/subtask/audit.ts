import { currentUpdateInfo, workflowInfo } from '@temporalio/workflow';
import type { ProgressActivities } from '../../activities/subtask/progress.js';
import type { AuditEvent } from '../../domain/audit.js';

type ProgressRecord = Parameters<ProgressActivities['recordProgress']>[0];
type ProgressUpdate = ProgressRecord['update'];

/**
 * The subtask's writes to the audit log (and its row on the board), each under a key that is the
 * same when the write is retried or replayed, so nothing is appended twice.
 */
export class AuditTrail {
  private sequence = 0;
  private readonly pending: ProgressRecord[] = [];
  // What an update handler records is keyed by the update: when a workflow task that ran a handler
  // fails, its retry may run the handler after other work, and a key by order would then differ.
  private readonly auditsOfUpdate = new Map<string, number>();

  constructor(
    private readonly progress: Pick<ProgressActivities, 'recordProgress' | 'recordProgressBatch'>,
    private readonly subtask: { subtaskId: string; projectId: string },
  ) {}

  async record(events: AuditEvent[], update?: ProgressUpdate): Promise<void> {
    const record = this.entry(events, update);
    if (this.pending.length === 0) return this.progress.recordProgress(record);
    await this.withPending((pending) => this.progress.recordProgressBatch([...pending, record]));
  }

  /**
   * Hands the deferred writes to a local activity that makes them (with its own work); if it does
   * not finish (a cancel meanwhile), they stay deferred for the next write. Their keys make a second
   * write of them a no-op.
   */
  async withPending<T>(work: (pending: ProgressRecord[]) => Promise<T>): Promise<T> {
    const pending = this.pending.splice(0);
    try {
      return await work(pending);
    } catch (error) {
      this.pending.unshift(...pending);
      throw error;
    }
  }

  /**
   * A write that waits for the next one (or for the next model-context read, which makes it beside
   * its reads): one database transaction instead of two in a row. Its key and time are taken now.
   */
  defer(events: AuditEvent[], update?: ProgressUpdate): void {
    this.pending.push(this.entry(events, update));
  }

  /** Makes the deferred writes now: before the workflow waits for anything but its own next step. */
  async flush(): Promise<void> {
    if (this.pending.length > 0) await this.withPending((pending) => this.progress.recordProgressBatch(pending));
  }

  private entry(events: AuditEvent[], update: ProgressUpdate | undefined): ProgressRecord {
    const info = workflowInfo();
    return {
      subtaskId: this.subtask.subtaskId,
      projectId: this.subtask.projectId,
      workflowId: info.workflowId,
      key: this.key(),
      at: Date.now(),
      update,
      events,
    };
  }

  private key(): string {
    const { workflowId, runId } = workflowInfo();
    const updateId = currentUpdateInfo()?.id;
    if (updateId === undefined) return `${workflowId}/${runId}/${++this.sequence}`;
    const count = (this.auditsOfUpdate.get(updateId) ?? 0) + 1;
    this.auditsOfUpdate.set(updateId, count);
    return `${workflowId}/${runId}/update/${updateId}/${count}`;
  }
}
