import type { Logger as TemporalLogger, LogLevel, LogMetadata } from '@temporalio/common';
import type { Logger } from '../runtime/log.js';

/** Warnings the SDK gives for how Maestro is built on purpose: one role per queue. */
const EXPECTED_WARNINGS = /^No (workflows|activities|Nexus services) registered, not polling/;

/** Routes the Temporal SDK's own logs into the process's pino logger; its chatter goes to debug. */
export function temporalLoggerFor(log: Logger): TemporalLogger {
  const sdk = log.child({ sdk: 'temporal' });
  const write = (level: LogLevel, message: string, meta?: LogMetadata) => {
    if (level === 'ERROR') sdk.error({ ...meta }, message);
    else if (level === 'WARN' && !EXPECTED_WARNINGS.test(message)) sdk.warn({ ...meta }, message);
    else sdk.debug({ ...meta }, message);
  };
  return {
    log: write,
    trace: (message, meta) => write('TRACE', message, meta),
    debug: (message, meta) => write('DEBUG', message, meta),
    info: (message, meta) => write('INFO', message, meta),
    warn: (message, meta) => write('WARN', message, meta),
    error: (message, meta) => write('ERROR', message, meta),
  };
}
