import { ZodError } from 'zod';
import { ConfigError } from '../domain/config.js';
import { StackError } from './errors.js';

/**
 * Runs a process entry point: a problem the user can fix is printed as is (no stack trace) with
 * exit code 2 for bad input and 1 otherwise; anything else is a bug and shows its stack.
 */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(),
    (error: unknown) => {
      if (error instanceof ConfigError || error instanceof ZodError) {
        process.stderr.write(`${error instanceof ZodError ? formatZodError(error) : error.message}\n`);
        process.exit(2);
      }
      if (error instanceof StackError) {
        process.stderr.write(`maestro: ${error.message}\n`);
        process.exit(1);
      }
      process.stderr.write(`maestro: unexpected failure: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}

function formatZodError(error: ZodError): string {
  return error.issues.map((issue) => `maestro: ${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`).join('\n');
}
