import type { Command } from 'commander';
import { z } from 'zod';
import { ProjectName } from '../../domain/project.js';
import { SubtaskKey } from '../../domain/subtask-spec.js';
import type { LoggedEvent } from '../../web/server/event-log.js';
import { parseArgs, runOf } from '../context.js';
import { UnreachableError, unreachable } from '../errors.js';
import { timestamp } from '../format.js';

type ShownEvent = Omit<LoggedEvent, 'data'> & { data?: unknown };

const RECONNECT_PATIENCE_MS = 30_000;

const EventsOptions = z.object({
  tail: z.coerce.number().int('a whole number').min(1, 'at least 1').max(500, 'at most 500').default(20),
  follow: z.boolean().default(false),
  project: ProjectName.optional(),
  subtask: SubtaskKey.optional(),
  actor: z.string().optional(),
  kind: z.string().optional(),
  search: z.string().optional(),
});

function line(event: ShownEvent): string {
  const where = event.project ? `${event.project}${event.subtask ? `/${event.subtask}` : ''}` : '—';
  return `${timestamp(event.occurredAt)}  ${where.padEnd(14)}  ${event.actor.padEnd(12)}  ${event.kind.padEnd(22)}  ${event.message}`;
}

export function registerEvents(program: Command): void {
  program
    .command('events')
    .description(
      'the audit log: the last events, oldest first; --follow prints new ones as they happen (JSON lines with --json)',
    )
    .option('--tail <n>', 'how many of the latest events to print (1–500)', '20')
    .option('-f, --follow', 'keep printing new events until interrupted')
    .option('--project <name>', 'only this project')
    .option('--subtask <key>', 'only this subtask (with --project)')
    .option('--actor <actor>', 'only what this actor did: user:alice, tester, or a prefix like user:*')
    .option('--kind <kind>', 'only this kind (approval.requested) or family (approval)')
    .option('--search <words>', 'full-text search in kind, actor and message')
    .action(async (options: Record<string, unknown>, command: Command) => {
      const run = runOf(command);
      const { tail, follow, ...filter } = parseArgs(EventsOptions, options);
      const print = (event: ShownEvent) => run.out(run.options.json ? JSON.stringify(event) : line(event));
      const { events } = await run.api.events.list.query({ ...filter, limit: tail });
      const oldestFirst = [...events].reverse();
      oldestFirst.forEach(print);
      if (!follow) {
        if (events.length === 0 && !run.options.json) run.out('No events match.');
        return;
      }
      await new Promise<void>((resolve, reject) => {
        let lost: NodeJS.Timeout | undefined;
        const subscription = run.api.events.onEvents.subscribe(
          // After the newest event printed; with none, every matching event is new.
          { ...filter, lastEventId: events[0]?.id ?? '0' },
          {
            onData: (tracked) => print(tracked.data),
            onError: (error) => {
              subscription.unsubscribe();
              reject(error);
            },
            onConnectionStateChange: (state) => {
              if (state.state === 'connecting' && state.error && !lost) {
                // The API restarts within seconds; give up only when it stays away.
                process.stderr.write(`lost the connection to ${run.options.url}; reconnecting…\n`);
                lost = setTimeout(() => {
                  subscription.unsubscribe();
                  reject(new UnreachableError(unreachable(run.options.url, state.error!.message)));
                }, RECONNECT_PATIENCE_MS);
              } else if (state.state === 'pending' && lost) {
                clearTimeout(lost);
                lost = undefined;
              }
            },
          },
        );
        const stop = () => {
          clearTimeout(lost);
          subscription.unsubscribe();
          resolve();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
