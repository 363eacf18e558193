import { setTimeout as sleep } from 'node:timers/promises';

/** Named gates that tests open; answers held at a closed gate wait (or give up when their client leaves). */
export class Gates {
  private readonly opened = new Set<string>();
  private readonly waiting = new Map<string, Set<() => void>>();

  open(name: string): void {
    this.opened.add(name);
    for (const release of this.waiting.get(name) ?? []) release();
    this.waiting.delete(name);
  }

  /** False when the client left before the gate opened. */
  async passed(name: string, clientGone: AbortSignal): Promise<boolean> {
    if (this.opened.has(name)) return !clientGone.aborted;
    await new Promise<void>((resolve) => {
      const waiters = this.waiting.get(name) ?? new Set();
      waiters.add(resolve);
      this.waiting.set(name, waiters);
      clientGone.addEventListener('abort', () => resolve(), { once: true });
    });
    return !clientGone.aborted;
  }
}

/** False when the client left during the wait. */
export async function waited(delayMs: number, clientGone: AbortSignal): Promise<boolean> {
  if (delayMs > 0) await sleep(delayMs, undefined, { signal: clientGone }).catch(() => undefined);
  return !clientGone.aborted;
}
