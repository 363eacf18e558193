import { currentUpdateInfo, workflowInfo } from '@temporalio/workflow';
import type { ProgressActivities } from '../../activities/subtask/progress.js';
import type { AuditEvent } from '../../domain/audit.js';

type ProgressUpdate = Parameters<ProgressActivities['recordProgress']>[0]['update'];

/**
 * The subtask's writes to the audit log (and its row on the board), each under a key that is the
 * same when the write is retried or replayed, so nothing is appended twice.
 */
export class AuditTrail {
  private sequence = 0;
  // What an update handler records is keyed by the update: when a workflow task that ran a handler
  // fails, its retry may run the handler after other work, and a key by order would then differ.
  private readonly auditsOfUpdate = new Map<string, number>();

  constructor(
    private readonly progress: Pick<ProgressActivities, 'recordProgress'>,
    private readonly subtask: { subtaskId: string; projectId: string },
  ) {}

  async record(events: AuditEvent[], update?: ProgressUpdate): Promise<void> {
    const info = workflowInfo();
    await this.progress.recordProgress({
      subtaskId: this.subtask.subtaskId,
      projectId: this.subtask.projectId,
      workflowId: info.workflowId,
      key: this.key(),
      at: Date.now(),
      update,
      events,
    });
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
