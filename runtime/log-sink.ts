import { appendFileSync } from 'node:fs';
import pino, { type Logger } from 'pino';
import type { LogLevel } from '../domain/config.js';
import { REDACTED_LOG_KEYS, SecretScrubber } from '../domain/redact.js';

/**
 * Where every line of the stack ends up: the supervisor's own logs and its children's output are
 * scrubbed of secrets, appended to the log file as JSON, and shown on the terminal (pretty on a TTY,
 * JSON lines otherwise, so scripts can read them).
 */
export class LogSink {
  private scrubber: SecretScrubber;

  private constructor(
    private readonly file: string,
    env: Record<string, string | undefined>,
    private readonly pretty: ((record: unknown) => string) | undefined,
  ) {
    this.scrubber = SecretScrubber.fromEnv(env);
  }

  /** Pretty lines on a terminal (pino-pretty is loaded only then), JSON lines otherwise. */
  static async open(file: string, env: Record<string, string | undefined>, terminalIsTty: boolean): Promise<LogSink> {
    process.stdout.on('error', () => undefined);
    if (!terminalIsTty) return new LogSink(file, env, undefined);
    const { prettyFactory } = await import('pino-pretty');
    return new LogSink(
      file,
      env,
      prettyFactory({ colorize: true, translateTime: 'HH:MM:ss', ignore: 'pid,hostname', messageKey: 'msg' }),
    );
  }

  /** A secret learnt at run time (the embedded database URL) is scrubbed from then on. */
  addSecret(value: string): void {
    this.scrubber = this.scrubber.with([value]);
  }

  /** One line a child printed: JSON from Maestro processes, anything else is wrapped. */
  writeChildLine(component: string, line: string, stream: 'stdout' | 'stderr'): void {
    const json = line.startsWith('{')
      ? line
      : JSON.stringify({ level: stream === 'stderr' ? 40 : 30, time: new Date().toISOString(), component, msg: line });
    this.write(json);
  }

  write(jsonLine: string): void {
    const clean = this.scrubber.scrub(jsonLine.trimEnd());
    appendFileSync(this.file, `${clean}\n`);
    let shown = `${clean}\n`;
    if (this.pretty) {
      try {
        shown = this.pretty(JSON.parse(clean));
      } catch {
        // not JSON after all: show it as it is
      }
    }
    writeToTerminal(shown);
  }

  logger(component: string, level: LogLevel): Logger {
    return pino(
      {
        level,
        base: { component, pid: process.pid },
        redact: { paths: REDACTED_LOG_KEYS, censor: '[redacted]' },
        timestamp: pino.stdTimeFunctions.isoTime,
      },
      { write: (line: string) => this.write(line) },
    );
  }
}

/** The terminal may be gone (a closed window, a broken pipe); the log file still has every line. */
function writeToTerminal(text: string) {
  if (process.stdout.writable) process.stdout.write(text);
}
