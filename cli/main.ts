#!/usr/bin/env node
/**
 * `maestro`: the command line over the Maestro API (tRPC). Tables for people, --json for scripts;
 * exit 0 when it worked, 1 when the server refused or failed, 2 for a mistake in the command line,
 * 3 when the API cannot be reached.
 */
import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { registerEvents } from './commands/events.js';
import { registerInbox } from './commands/inbox.js';
import { registerOps } from './commands/ops.js';
import { registerProject } from './commands/project.js';
import { registerReview } from './commands/review.js';
import { registerSubtask } from './commands/subtask.js';
import { DEFAULT_TIMEOUT_SECONDS } from './client.js';
import { DEFAULT_URL } from './context.js';
import { EXIT, classify } from './errors.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

function buildProgram(): Command {
  const program = new Command('maestro')
    .description('Maestro, the durable multi-agent software-development orchestrator: the command line')
    .version(version)
    .option('--url <url>', `the Maestro API (env MAESTRO_API_URL; default ${DEFAULT_URL})`)
    .option(
      '--token <token>',
      'an API token, sent as a bearer token (prefer env MAESTRO_TOKEN: a flag shows in the process list)',
    )
    .option('--json', 'print JSON for scripts instead of tables')
    .option(
      '--timeout <seconds>',
      `give up a call the API has not answered in this long (env MAESTRO_CLI_TIMEOUT; default ${DEFAULT_TIMEOUT_SECONDS}; --follow is not cut)`,
    )
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
  registerProject(program);
  registerSubtask(program);
  registerReview(program);
  registerInbox(program);
  registerEvents(program);
  registerOps(program);
  // Every subcommand reports mistakes the same way: thrown, then exit 2.
  const override = (command: Command) => {
    command.exitOverride();
    command.showHelpAfterError('(add --help for usage)');
    command.commands.forEach(override);
  };
  program.commands.forEach(override);
  return program;
}

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version end here too, as success; commander has printed what went wrong.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const url = program.opts<{ url?: string }>().url ?? process.env.MAESTRO_API_URL ?? DEFAULT_URL;
    const { code, message } = classify(error, url);
    process.stderr.write(`maestro: ${message}\n`);
    return code;
  }
}

process.exitCode = await main(process.argv);
