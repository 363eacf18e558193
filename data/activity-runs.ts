import type { Logger } from '../runtime/log.js';
import type { PrismaClient } from './prisma.js';

/** One activity execution, as the workers' timing interceptor saw it. */
export interface ActivityRunRow {
  activityType: string;
  taskQueue: string;
  role: string;
  workflowId?: string;
  workflowType?: string;
  attempt: number;
  local: boolean;
  startedAt: Date;
  endedAt: Date;
  durationMs: number;
  outcome: 'ok' | 'failed' | 'cancelled';
  errorType?: string;
}

export interface ActivityRunRecorderOptions {
  /** How long a row may wait for its batch. */
  flushMs?: number;
  /** Rows per insert. */
  batchSize?: number;
  /** Rows kept while the database does not answer; older ones are dropped (timings are not worth a worker's memory). */
  maxBuffered?: number;
}

/**
 * Collects activity timings and writes them in batches, off the activities' path: recording never
 * delays or fails an activity, and a database that does not answer costs dropped rows, not work.
 */
export class ActivityRunRecorder {
  private buffer: ActivityRunRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private dropped = 0;
  private lastWarnedAt = 0;
  private readonly flushMs: number;
  private readonly batchSize: number;
  private readonly maxBuffered: number;

  constructor(
    private readonly prisma: () => PrismaClient,
    private readonly log: Logger,
    options: ActivityRunRecorderOptions = {},
  ) {
    this.flushMs = options.flushMs ?? 1_000;
    this.batchSize = options.batchSize ?? 200;
    this.maxBuffered = options.maxBuffered ?? 10_000;
  }

  record(row: ActivityRunRow): void {
    this.buffer.push(row);
    if (this.buffer.length > this.maxBuffered) {
      this.dropped += this.buffer.length - this.maxBuffered;
      this.buffer.splice(0, this.buffer.length - this.maxBuffered);
    }
    if (this.buffer.length >= this.batchSize) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.flushMs).unref();
  }

  /** Writes what is buffered; resolves when it is written (or given up on). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.writing = this.writing.then(() => this.writeBuffered());
    return this.writing;
  }

  private async writeBuffered(): Promise<void> {
    while (this.buffer.length > 0) {
      const batch = this.buffer.splice(0, this.batchSize);
      try {
        await this.prisma().activityRun.createMany({ data: batch });
      } catch (error) {
        // A database that is away would otherwise be reported every second.
        if (Date.now() - this.lastWarnedAt > 60_000) {
          this.lastWarnedAt = Date.now();
          this.log.warn(
            { err: error, rows: batch.length },
            'could not record activity timings; they are dropped (the activities are not affected)',
          );
        }
        break;
      }
    }
    if (this.dropped > 0) {
      this.log.warn(
        { dropped: this.dropped },
        'activity timings were dropped: more were waiting than the buffer holds',
      );
      this.dropped = 0;
    }
  }
}
