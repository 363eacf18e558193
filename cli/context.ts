import type { Command } from 'commander';
import { z } from 'zod';
import { type Api, DEFAULT_TIMEOUT_SECONDS, createApi } from './client.js';
import { UsageError, describeZodError } from './errors.js';

export const DEFAULT_URL = 'http://127.0.0.1:4800';

export interface GlobalOptions {
  url: string;
  token?: string;
  json: boolean;
  /** Seconds a call may take (`--timeout`, env MAESTRO_CLI_TIMEOUT). */
  timeout: number;
}

const Globals = z.object({
  url: z.url({ protocol: /^https?$/, error: 'the API URL, like http://127.0.0.1:4800' }),
  token: z.string().trim().min(1, 'an API token (mst_…)').optional(),
  json: z.boolean().default(false),
  timeout: z.coerce
    .number({ error: `seconds a call may take, like ${DEFAULT_TIMEOUT_SECONDS}` })
    .positive(`seconds a call may take, more than 0, like ${DEFAULT_TIMEOUT_SECONDS}`)
    .max(3_600, 'at most 3600 seconds (an hour)'),
});

/** What every command needs: the options every command takes, the API, and where to write. */
export interface Run {
  options: GlobalOptions;
  api: Api;
  /** Prints the value as JSON with --json, else the text. */
  print(json: unknown, text: () => string): void;
  out(line: string): void;
}

export function runOf(command: Command): Run {
  const given = command.optsWithGlobals<{ url?: string; token?: string; json?: boolean; timeout?: string }>();
  const parsed = Globals.safeParse({
    url: given.url ?? process.env.MAESTRO_API_URL ?? DEFAULT_URL,
    token: given.token ?? (process.env.MAESTRO_TOKEN || undefined),
    json: given.json,
    timeout: given.timeout ?? (process.env.MAESTRO_CLI_TIMEOUT || DEFAULT_TIMEOUT_SECONDS),
  });
  if (!parsed.success)
    throw new UsageError(
      describeZodError(parsed.error, { url: '--url', token: '--token', timeout: '--timeout (or MAESTRO_CLI_TIMEOUT)' }),
    );
  const options = parsed.data;
  const out = (line: string) => process.stdout.write(`${line}\n`);
  return {
    options,
    api: createApi({ ...options, timeoutMs: options.timeout * 1000 }),
    out,
    print(json, text) {
      out(options.json ? JSON.stringify(json, null, 2) : text());
    },
  };
}

/** Validates a command's arguments and options with zod: a problem is a usage error (exit 2). */
export function parseArgs<T extends z.ZodType>(
  schema: T,
  value: unknown,
  names: Record<string, string> = {},
): z.output<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new UsageError(describeZodError(parsed.error, names));
  return parsed.data;
}

/** `30m`, `24h`, `7d`, or a date and time: how far back. */
export const Since = z.string().transform((text, context) => {
  const relative = /^(\d+)\s*(s|m|min|h|d)$/.exec(text.trim());
  if (relative) {
    const unit = { s: 1_000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 }[
      relative[2] as 's' | 'm' | 'min' | 'h' | 'd'
    ];
    return new Date(Date.now() - Number(relative[1]) * unit);
  }
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) {
    context.addIssue({ code: 'custom', message: 'how far back: 30m, 24h, 7d, or a date like 2026-01-31T12:00' });
    return z.NEVER;
  }
  return date;
});
