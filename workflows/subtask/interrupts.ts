import { CancellationScope, isCancellation } from '@temporalio/workflow';
import type { PhaseName } from '../../domain/phases.js';

/**
 * What stops the running step: an override (or a person's answer to a block). `during` is the phase
 * it was given in: a skip that arrives after its phase ended skips nothing.
 */
export type Interrupt = { during: PhaseName | null } & (
  | { kind: 'cancel'; actor: string; reason: string }
  | { kind: 'skip'; actor: string; reason: string }
  | { kind: 'reset'; actor: string; reason: string; phase: PhaseName }
  | { kind: 'force_complete'; actor: string; reason: string }
  | { kind: 'retry'; actor: string; hint?: string; model?: string }
);

/**
 * The interrupt given and not yet applied, and the step it cuts short. Handlers give; the main
 * sequence takes. Read through methods: handlers change it between awaits, which narrowing cannot see.
 */
export class Interrupts {
  private next: Interrupt | undefined;
  private step: CancellationScope | undefined;

  pending(): Interrupt | undefined {
    return this.next;
  }

  /** A handler's interrupt: the running step is cancelled. A cancel given earlier stays. */
  give(next: Interrupt): void {
    if (this.next?.kind === 'cancel') return;
    this.next = next;
    this.step?.cancel();
  }

  /** The pending interrupt, now applied by whoever takes it. */
  take(): Interrupt {
    const current = this.next!;
    this.next = undefined;
    return current;
  }

  /** Sets the pending interrupt without cutting anything short: an answer put back for the sequence to end with, or none. */
  keep(interrupt: Interrupt | undefined): void {
    this.next = interrupt;
  }

  /** Runs a step that an interrupt may cut short; returns undefined when it was. */
  async run<T>(step: () => Promise<T>): Promise<T | undefined> {
    if (this.next) return undefined;
    const scope = new CancellationScope();
    this.step = scope;
    try {
      return await scope.run(step);
    } catch (error) {
      if (this.next && isCancellation(error)) return undefined;
      throw error;
    } finally {
      this.step = undefined;
    }
  }
}
