import type { Command } from 'commander';
import { z } from 'zod';
import { SUBTASK_STATUSES } from '../../domain/lifecycle.js';
import { describePhasePlan } from '../../domain/phases.js';
import { ProjectName } from '../../domain/project.js';
import { SubtaskSpec } from '../../domain/subtask-spec.js';
import { parseArgs, runOf } from '../context.js';
import { UsageError } from '../errors.js';
import { ago, fields, table, usd } from '../format.js';
import { resolveSubtaskRef } from '../ids.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The option that gives each part of a spec. */
const OPTION_OF: Record<string, string> = {
  title: '--title',
  description: '--description',
  acceptanceCriteria: '--criterion',
  filesInScope: '--file',
  risk: '--risk',
  dependencies: '--depends-on',
};

export function registerSubtask(program: Command): void {
  const subtask = program
    .command('subtask')
    .description('subtasks: pieces of work carried through the test-driven phases');

  subtask
    .command('start')
    .description('start a subtask: a durable workflow takes it through red, green, refactor … and the merge')
    .argument('<project/key>', 'the project and a key for the subtask, like shop/3-1')
    .requiredOption('--title <title>', 'what the subtask does, in a few words')
    .option('--criterion <text>', 'an acceptance criterion (repeat for more; at least one)', collect, [])
    .option('--description <text>', 'more about the work', '')
    .option(
      '--risk <risk>',
      'low (merges by itself), medium (a person approves the merge) or high (and the plan)',
      'medium',
    )
    .option('--file <path>', 'a file in scope (repeat for more)', collect, [])
    .option(
      '--depends-on <key>',
      'a subtask of the same project that must complete first (repeat for more)',
      collect,
      [],
    )
    .action(
      async (
        id: string,
        options: {
          title: string;
          criterion: string[];
          description: string;
          risk: string;
          file: string[];
          dependsOn: string[];
        },
        command: Command,
      ) => {
        const run = runOf(command);
        const ref = /^([^/]+)\/([^/]+)$/.exec(id);
        if (!ref) throw new UsageError(`${id}: give the new subtask as <project>/<key>, like shop/3-1.`);
        const spec = parseArgs(
          SubtaskSpec,
          {
            project: ref[1],
            key: ref[2],
            title: options.title,
            description: options.description,
            acceptanceCriteria: options.criterion,
            filesInScope: options.file,
            risk: options.risk,
            dependencies: options.dependsOn,
          },
          {
            project: '<project/key>',
            key: '<project/key>',
            acceptanceCriteria: '--criterion',
            filesInScope: '--file',
            dependencies: '--depends-on',
          },
        );
        const started = await run.api.subtask.start.mutate(spec);
        const name = `${spec.project}/${spec.key}`;
        run.print(started, () => {
          if (started.started)
            return `Started ${name} (workflow ${started.workflowId}). Watch it: maestro subtask status ${name}`;
          const before = `${name} was started before (workflow ${started.workflowId}): nothing new started.`;
          if (started.ignored.length === 0) return before;
          return [
            before,
            `Ignored, because a subtask keeps the spec it started with: ${started.ignored.map((field) => OPTION_OF[field]).join(', ')}.`,
            `To do the new work, start it under a new key (maestro subtask start ${spec.project}/<new-key> …); cancel this one if it is no longer wanted (maestro override cancel ${name} --reason "…").`,
          ].join('\n');
        });
      },
    );

  subtask
    .command('status')
    .description('the live state of a subtask, from its workflow')
    .argument('<id>', '<project>/<key> or the workflow id')
    .action(async (id: string, _options: unknown, command: Command) => {
      const run = runOf(command);
      const ref = await resolveSubtaskRef(id, run.api);
      const state = await run.api.subtask.state.query(ref);
      run.print(state, () => {
        const lines = [
          fields([
            ['Subtask', `${state.project}/${state.key}  ${state.title}`],
            ['Status', `${state.status}${state.paused ? ' (paused)' : ''}`],
            ['Phase', state.phase ? `${state.phase}, attempt ${state.attempt} of ${state.maxAttempts}` : 'not started'],
            ['Progress', state.progress],
            ['Phases', state.phasePlan ? describePhasePlan(state.phasePlan, 'subtask') : undefined],
            ['Risk', state.risk],
            ['Branch', state.branch],
            ['Model', state.model ? `${state.model.id} (${state.model.reason})` : undefined],
            ['Cost', usd(state.costUsd)],
            [
              'Waiting for',
              state.pendingGate
                ? `approval of the ${state.pendingGate.gate} since ${ago(state.pendingGate.since)}: maestro approve ${state.project}/${state.key}`
                : undefined,
            ],
            ['Blocked', state.blocked ? `${state.blocked.reason} (since ${ago(state.blocked.since)})` : undefined],
            [
              'Options',
              state.blocked
                ? state.blocked.options.join(', ') +
                  (state.blocked.escalationId ? `: maestro answer ${state.blocked.escalationId} <option>` : '')
                : undefined,
            ],
            [
              'Last failure',
              state.lastFailure
                ? `${state.lastFailure.phase} attempt ${state.lastFailure.attempt}: ${state.lastFailure.reason}`
                : undefined,
            ],
            ['Workflow', state.workflowId],
          ]),
        ];
        if (state.checklist.length > 0) {
          lines.push(
            '',
            `Checklist (${state.progress}):`,
            ...state.checklist.map(
              (item) => `  [${item.done ? 'x' : ' '}] ${item.label}${item.note ? ` (${item.note})` : ''}`,
            ),
          );
        }
        return lines.join('\n');
      });
    });

  subtask
    .command('list')
    .description('list subtasks, most recently changed first')
    .option('--project <name>', 'only this project')
    .option('--status <status>', `only this status: ${SUBTASK_STATUSES.join(', ')}`)
    .action(async (options: { project?: string; status?: string }, command: Command) => {
      const run = runOf(command);
      const filter = parseArgs(
        z.object({
          project: ProjectName.optional(),
          status: z.enum(SUBTASK_STATUSES, { error: () => `one of ${SUBTASK_STATUSES.join(', ')}` }).optional(),
        }),
        options,
      );
      const subtasks = await run.api.subtask.list.query(filter);
      run.print(subtasks, () =>
        subtasks.length === 0
          ? `No subtasks${filter.project ? ` in ${filter.project}` : ''}${filter.status ? ` with status ${filter.status}` : ''}. Start one: maestro subtask start <project>/<key> --title "…" --criterion "…"`
          : table(
              [
                { header: 'SUBTASK' },
                { header: 'TITLE', max: 40 },
                { header: 'STATUS' },
                { header: 'PHASE' },
                { header: 'RISK' },
                { header: 'ATTEMPT', right: true },
                { header: 'UPDATED' },
              ],
              subtasks.map((row) => [
                `${row.project.name}/${row.key}`,
                row.title,
                row.status,
                row.phase,
                row.risk,
                row.attempt,
                ago(String(row.updatedAt)),
              ]),
            ),
      );
    });
}
