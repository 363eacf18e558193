import type { Command } from 'commander';
import { z } from 'zod';
import { PHASE_NAMES } from '../../domain/phases.js';
import type { OverrideInput } from '../../workflows/subtask/subtask.shared.js';
import { parseArgs, runOf } from '../context.js';
import { resolveSubtaskRef } from '../ids.js';

/** The override names of the command line, and the action each sends. */
const OVERRIDES = {
  skip: 'skip',
  force: 'force_complete',
  reset: 'reset',
  reassign: 'reassign',
  pause: 'pause',
  resume: 'resume',
  cancel: 'cancel',
  retry: 'retry',
} as const;
type OverrideName = keyof typeof OVERRIDES;

const WORK_PHASES = PHASE_NAMES.filter((phase) => phase !== 'complete');
const Phase = z.enum(PHASE_NAMES, { error: () => `a phase: ${PHASE_NAMES.join(', ')}` });
const Reason = z
  .string({ error: 'required: say why in a few words (it goes to the audit log)' })
  .trim()
  .min(3, 'say why in a few words: it goes to the audit log');

function describeAfter(
  ref: { project: string; key: string },
  state: { status: string; phase: string | null; paused: boolean },
): string {
  return `${ref.project}/${ref.key} is now ${state.status}${state.phase ? ` in ${state.phase}` : ''}${state.paused ? ' (paused)' : ''}.`;
}

export function registerReview(program: Command): void {
  program
    .command('approve')
    .description('approve the gate a subtask waits at (its plan, or its merge)')
    .argument('<id>', '<project>/<key> or the workflow id')
    .option('--comment <text>', 'a note for the audit log')
    .action(async (id: string, options: { comment?: string }, command: Command) => {
      const run = runOf(command);
      const ref = await resolveSubtaskRef(id, run.api);
      const state = await run.api.subtask.approve.mutate({
        ...ref,
        ...(options.comment ? { comment: options.comment } : {}),
      });
      run.print(state, () => `Approved. ${describeAfter(ref, state)}`);
    });

  program
    .command('reject')
    .description('reject the gate a subtask waits at and send it back to a phase, with what to change')
    .argument('<id>', '<project>/<key> or the workflow id')
    .requiredOption('--comment <text>', 'what to change: the agents read it')
    .requiredOption(
      '--return-to <phase>',
      `the phase to go back to: one the subtask runs (maestro subtask status lists them): ${WORK_PHASES.join(', ')}; the integration ones only when the project has an integration test command`,
    )
    .action(async (id: string, options: { comment: string; returnTo: string }, command: Command) => {
      const run = runOf(command);
      const input = parseArgs(
        z.object({ comment: z.string().trim().min(3, 'say what to change: the agents read it'), returnTo: Phase }),
        options,
      );
      const ref = await resolveSubtaskRef(id, run.api);
      const state = await run.api.subtask.reject.mutate({ ...ref, ...input });
      run.print(state, () => `Rejected: back to ${input.returnTo}. ${describeAfter(ref, state)}`);
    });

  program
    .command('override')
    .description(
      'change the course of a subtask: skip a phase, force it complete, reset to a phase, reassign a role, pause, resume, cancel, retry',
    )
    .argument('<action>', Object.keys(OVERRIDES).join('|'))
    .argument('<id>', '<project>/<key> or the workflow id')
    .option('--reason <text>', 'why: it goes to the audit log (required except for resume and retry)')
    .option(
      '--phase <phase>',
      'reset: the phase to go back to, one the subtask runs (maestro subtask status lists them)',
    )
    .option('--role <role>', 'reassign: tester or developer')
    .option('--queue <task-queue>', 'reassign: the task queue to send that role’s work to')
    .option('--hint <text>', 'retry: what the next attempt should know')
    .option('--model <id>', 'retry: the model to retry with')
    .action(
      async (
        action: string,
        id: string,
        options: { reason?: string; phase?: string; role?: string; queue?: string; hint?: string; model?: string },
        command: Command,
      ) => {
        const run = runOf(command);
        const name = parseArgs(
          z.enum(Object.keys(OVERRIDES) as [OverrideName, ...OverrideName[]], {
            error: () => `an override: ${Object.keys(OVERRIDES).join(', ')}`,
          }),
          action,
          { '': '<action>' },
        );
        const override = parseArgs(overrideSchema(name), options, { taskQueue: '--queue' });
        const ref = await resolveSubtaskRef(id, run.api);
        const state = await run.api.subtask.override.mutate({ ...ref, override });
        run.print(state, () => `${name}: done. ${describeAfter(ref, state)}`);
      },
    );
}

function overrideSchema(name: OverrideName): z.ZodType<OverrideInput> {
  const action = OVERRIDES[name];
  switch (action) {
    case 'reset':
      return z.object({ reason: Reason, phase: Phase }).transform((value) => ({ action, ...value }));
    case 'reassign':
      return z
        .object({
          reason: Reason,
          role: z.enum(['tester', 'developer'], { error: () => 'tester or developer' }),
          queue: z
            .string({ error: 'the task queue to send the work to, like maestro-developer-gpu' })
            .regex(/^[\w.-]{1,100}$/, 'a task queue name, like maestro-developer-gpu'),
        })
        .transform(({ queue, ...value }) => ({ action, taskQueue: queue, ...value }));
    case 'resume':
      return z.object({ reason: z.string().optional() }).transform((value) => ({ action, ...value }));
    case 'retry':
      return z
        .object({ reason: z.string().optional(), hint: z.string().max(4_000).optional(), model: z.string().optional() })
        .transform((value) => ({ action, ...value }));
    default:
      return z.object({ reason: Reason }).transform((value) => ({ action, ...value }));
  }
}
