import type { ManagedProcess } from '../runtime/child-process.js';

/** How a part of the stack is started: so that a stop requested meanwhile can always reach it. */
export interface StartControl {
  /** Aborted when the stack is asked to stop while still starting. */
  signal: AbortSignal;
  /** Called as soon as the process exists, before it answers. */
  onSpawn(process: ManagedProcess): void;
}
