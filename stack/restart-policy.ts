/** Restarts of Temporal or PostgreSQL allowed within the window before the stack gives up. */
export const INFRASTRUCTURE_RESTARTS = 3;
export const INFRASTRUCTURE_RESTART_WINDOW_MS = 10 * 60_000;

/**
 * Whether Temporal or PostgreSQL, stopped on its own, is restarted: yes, unless it stopped more than
 * `restarts` times within the window, when restarting again is unlikely to help. One per process.
 */
export class RestartPolicy {
  private readonly recentStops: number[] = [];

  constructor(
    readonly restarts = INFRASTRUCTURE_RESTARTS,
    readonly windowMs = INFRASTRUCTURE_RESTART_WINDOW_MS,
  ) {}

  /** Counts a stop at `now` (ms since the epoch) and says whether to restart after it. */
  shouldRestart(now: number): boolean {
    this.recentStops.push(now);
    while (this.recentStops.length > 0 && this.recentStops[0]! < now - this.windowMs) this.recentStops.shift();
    return this.recentStops.length <= this.restarts;
  }
}
