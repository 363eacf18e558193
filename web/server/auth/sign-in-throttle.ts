/** Where a sign-in attempt comes from: the account name and the socket's peer address. */
export interface SignInAttempt {
  name: string;
  source: string;
}

/**
 * Slows password guessing: after a few failures in a row for one account name from one source (the
 * socket's peer address), that name is locked for that source a while, doubling with each further
 * failure. Another source is not locked out with it, so nobody can lock a person out from elsewhere
 * by failing on purpose. In memory, per API process, bounded in size: a restart forgives.
 */
export class SignInThrottle {
  private readonly failures = new Map<string, { count: number; lockedUntil: number; lastAt: number }>();

  constructor(
    private readonly options = {
      freeFailures: 5,
      firstLockMs: 30_000,
      maxLockMs: 15 * 60_000,
      forgetAfterMs: 60 * 60_000,
      maxEntries: 10_000,
    },
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds until this name may try again from this source; 0 when it may now. */
  waitFor(attempt: SignInAttempt): number {
    const entry = this.failures.get(keyOf(attempt));
    if (!entry) return 0;
    return Math.max(0, entry.lockedUntil - this.now());
  }

  failed(attempt: SignInAttempt): void {
    const now = this.now();
    this.forgetOld(now);
    const key = keyOf(attempt);
    const entry = this.failures.get(key) ?? { count: 0, lockedUntil: 0, lastAt: now };
    entry.count += 1;
    entry.lastAt = now;
    const over = entry.count - this.options.freeFailures;
    if (over >= 0) entry.lockedUntil = now + Math.min(this.options.maxLockMs, this.options.firstLockMs * 2 ** over);
    this.failures.delete(key);
    this.failures.set(key, entry);
  }

  succeeded(attempt: SignInAttempt): void {
    this.failures.delete(keyOf(attempt));
  }

  private forgetOld(now: number) {
    for (const [key, entry] of this.failures) {
      const stale = now - entry.lastAt > this.options.forgetAfterMs && entry.lockedUntil <= now;
      if (!stale && this.failures.size < this.options.maxEntries) break; // oldest first: the rest are newer
      this.failures.delete(key);
    }
  }
}

function keyOf({ name, source }: SignInAttempt): string {
  return `${name}\u0000${source}`;
}
