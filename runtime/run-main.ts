import { ZodError } from 'zod';
import { ConfigError } from '../domain/config-resolve.js';
import { SecretScrubber } from '../domain/redact.js';
import { StackError } from './errors.js';

/**
 * Runs a process entry point: a problem the user can fix is printed as is (no stack trace) with
 * exit code 2 for bad input and 1 otherwise; anything else is a bug and shows its stack.
 */
export function runMain(main: () => Promise<void>): void {
  const say = (text: string) => process.stderr.write(`${SecretScrubber.fromEnv(process.env).scrub(text)}\n`);
  main().then(
    () => process.exit(),
    (error: unknown) => {
      if (error instanceof ConfigError || error instanceof ZodError) {
        say(error instanceof ZodError ? formatZodError(error) : error.message);
        process.exit(2);
      }
      if (error instanceof StackError) {
        say(`maestro: ${error.message}`);
        process.exit(1);
      }
      say(`maestro: unexpected failure: ${(error as Error)?.stack ?? String(error)}`);
      process.exit(1);
    },
  );
}

function formatZodError(error: ZodError): string {
  return error.issues
    .map((issue) => `maestro: ${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`)
    .join('\n');
}
