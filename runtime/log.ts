import pino, { type Logger } from 'pino';
import { REDACTED_LOG_KEYS } from '../domain/redact.js';
import type { LogLevel } from '../domain/config.js';

export type { Logger };

let stdoutGuarded = false;

/**
 * Every Maestro process logs JSON lines to stdout; the supervisor scrubs, files and pretty-prints
 * them, so children stay lean (no transport threads). The destination is process.stdout itself:
 * pino's default (sonic-boom) retries a write to a broken pipe forever when flushing at exit, which
 * would keep a child alive after its supervisor was killed.
 */
export function createLogger(component: string, level: LogLevel, bindings: Record<string, unknown> = {}): Logger {
  if (!stdoutGuarded) {
    // Once the supervisor is gone nobody reads these lines; losing them must not crash or hang us.
    process.stdout.on('error', () => undefined);
    stdoutGuarded = true;
  }
  return pino(
    {
      level,
      base: { component, pid: process.pid, ...bindings },
      redact: { paths: REDACTED_LOG_KEYS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    process.stdout,
  );
}
