import type { ParsedConversation } from './script.js';

/** The most requests in flight at once, per model and overall. */
export class InFlightCounter {
  private readonly now = new Map<string, number>();
  private readonly highest = new Map<string, number>();
  private all = 0;
  private highestAll = 0;

  begin(model: string) {
    const count = (this.now.get(model) ?? 0) + 1;
    this.now.set(model, count);
    this.highest.set(model, Math.max(this.highest.get(model) ?? 0, count));
    this.all += 1;
    this.highestAll = Math.max(this.highestAll, this.all);
  }

  end(model: string) {
    this.now.set(model, (this.now.get(model) ?? 1) - 1);
    this.all -= 1;
  }

  max(model?: string): number {
    return model === undefined ? this.highestAll : (this.highest.get(model) ?? 0);
  }

  reset() {
    this.highest.clear();
    for (const [model, count] of this.now) this.highest.set(model, count);
    this.highestAll = this.all;
  }
}

/**
 * Counts the requests that arrive at each turn of each conversation. A conversation is known by its
 * content, so a setScript that adds conversations keeps the counts of those it keeps.
 */
export class ArrivalCounter {
  private readonly counts = new Map<string, number>();

  /** Counts one more arrival and returns how many there have been. */
  count(conversation: ParsedConversation, turn: number): number {
    const key = `${turn} ${JSON.stringify(conversation)}`;
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    return count;
  }
}
