import type { Command } from 'commander';
import { z } from 'zod';
import { PHASE_NAMES } from '../../domain/phases.js';
import type { OverrideInput } from '../../workflows/subtask/subtask.shared.js';
import { parseArgs, runOf } from '../context.js';
import { resolveSubtaskRef } from '../ids.js';
import { DEFAULT_WAIT_SECONDS, WaitSeconds, describeSettled, settle, where } from '../settle.js';

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

/** Overrides the update's answer shows whole: they change the state as they are taken, and nothing follows. */
const APPLIED_AT_ONCE: ReadonlySet<string> = new Set(['pause', 'resume', 'reassign']);

const WAIT_OPTION = [
  '--wait <seconds>',
  `how long to wait for the subtask to move on, to say where it went (0: print what the workflow answered)`,
  String(DEFAULT_WAIT_SECONDS),
] as const;

export function registerReview(program: Command): void {
  program
    .command('approve')
    .description('approve the gate a subtask waits at (its plan, or its merge)')
    .argument('<id>', '<project>/<key> or the workflow id')
    .option('--comment <text>', 'a note for the audit log')
    .option(...WAIT_OPTION)
    .action(async (id: string, options: { comment?: string; wait: string }, command: Command) => {
      const run = runOf(command);
      const wait = parseArgs(WaitSeconds, options.wait, { '': '--wait' });
      const ref = await resolveSubtaskRef(id, run.api);
      const taken = await run.api.subtask.approve.mutate({
        ...ref,
        ...(options.comment ? { comment: options.comment } : {}),
      });
      const settled = await settle(run.api, ref, taken, wait);
      run.print(settled, () => `Approved. ${describeSettled(ref, settled)}`);
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
    .option(...WAIT_OPTION)
    .action(async (id: string, options: { comment: string; returnTo: string; wait: string }, command: Command) => {
      const run = runOf(command);
      const { wait, ...input } = parseArgs(
        z.object({
          comment: z.string().trim().min(3, 'say what to change: the agents read it'),
          returnTo: Phase,
          wait: WaitSeconds,
        }),
        options,
      );
      const ref = await resolveSubtaskRef(id, run.api);
      const taken = await run.api.subtask.reject.mutate({ ...ref, ...input });
      const settled = await settle(run.api, ref, taken, wait);
      run.print(settled, () => `Rejected: back to ${input.returnTo}. ${describeSettled(ref, settled)}`);
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
    .option(...WAIT_OPTION)
    .action(
      async (
        action: string,
        id: string,
        {
          wait: waitText,
          ...options
        }: {
          reason?: string;
          phase?: string;
          role?: string;
          queue?: string;
          hint?: string;
          model?: string;
          wait: string;
        },
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
        const wait = parseArgs(WaitSeconds, waitText, { '': '--wait' });
        const ref = await resolveSubtaskRef(id, run.api);
        const taken = await run.api.subtask.override.mutate({ ...ref, override });
        if (APPLIED_AT_ONCE.has(override.action)) {
          run.print(taken, () => `${name}: done. ${ref.project}/${ref.key} is now ${where(taken)}.`);
          return;
        }
        const settled = await settle(run.api, ref, taken, wait);
        run.print(settled, () => `${name}: taken. ${describeSettled(ref, settled)}`);
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
