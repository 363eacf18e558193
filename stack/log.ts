import pino, { type Logger } from 'pino';
import { REDACTED_LOG_KEYS } from '../domain/redact.js';
import type { LogLevel } from '../domain/config.js';

export type { Logger };

/**
 * Every Maestro process logs JSON lines to stdout; the supervisor scrubs, files and pretty-prints
 * them, so children stay lean (no transport threads).
 */
export function createLogger(component: string, level: LogLevel, bindings: Record<string, unknown> = {}): Logger {
  return pino({
    level,
    base: { component, pid: process.pid, ...bindings },
    redact: { paths: REDACTED_LOG_KEYS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
