/**
 * Slows password guessing per account name: after a few failures in a row the name is locked for a
 * while, doubling with each further failure. In memory, per API process: a restart forgives.
 */
export class SignInThrottle {
  private readonly failures = new Map<string, { count: number; lockedUntil: number; lastAt: number }>();

  constructor(
    private readonly options = {
      freeFailures: 5,
      firstLockMs: 30_000,
      maxLockMs: 15 * 60_000,
      forgetAfterMs: 60 * 60_000,
      maxNames: 10_000,
    },
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds until the name may try again; 0 when it may now. */
  waitFor(name: string): number {
    const entry = this.failures.get(name);
    if (!entry) return 0;
    return Math.max(0, entry.lockedUntil - this.now());
  }

  failed(name: string): void {
    const now = this.now();
    this.forgetOld(now);
    const entry = this.failures.get(name) ?? { count: 0, lockedUntil: 0, lastAt: now };
    entry.count += 1;
    entry.lastAt = now;
    const over = entry.count - this.options.freeFailures;
    if (over >= 0) entry.lockedUntil = now + Math.min(this.options.maxLockMs, this.options.firstLockMs * 2 ** over);
    this.failures.delete(name);
    this.failures.set(name, entry);
  }

  succeeded(name: string): void {
    this.failures.delete(name);
  }

  private forgetOld(now: number) {
    for (const [name, entry] of this.failures) {
      const stale = now - entry.lastAt > this.options.forgetAfterMs && entry.lockedUntil <= now;
      if (!stale && this.failures.size < this.options.maxNames) break; // oldest first: the rest are newer
      this.failures.delete(name);
    }
  }
}
