import type { Command } from 'commander';
import { z } from 'zod';
import { ProjectName } from '../../domain/project.js';
import { EscalationAnswerInput } from '../../domain/escalation-answer.js';
import { parseArgs, runOf } from '../context.js';
import { duration, table } from '../format.js';
import { DEFAULT_WAIT_SECONDS, WaitSeconds, describeSettled, settle } from '../settle.js';

const InboxFilter = z.object({ project: ProjectName.optional() });

export function registerInbox(program: Command): void {
  program
    .command('approvals')
    .description('the approvals waiting for a person, oldest first')
    .option('--project <name>', 'only this project')
    .action(async (options: { project?: string }, command: Command) => {
      const run = runOf(command);
      const approvals = await run.api.inbox.approvals.query(parseArgs(InboxFilter, options));
      run.print(approvals, () =>
        approvals.length === 0
          ? 'Nothing waits for approval.'
          : table(
              [
                { header: 'SUBTASK' },
                { header: 'TITLE', max: 40 },
                { header: 'GATE' },
                { header: 'RISK' },
                { header: 'WAITING', right: true },
                { header: 'STARTED BY' },
              ],
              approvals.map((approval) => [
                `${approval.project}/${approval.subtask.key}`,
                approval.subtask.title,
                approval.gate,
                approval.subtask.risk,
                duration(approval.waitingMs),
                approval.startedBy,
              ]),
            ) +
            '\n\nApprove: maestro approve <subtask>   Reject: maestro reject <subtask> --comment "…" --return-to <phase>',
      );
    });

  program
    .command('escalations')
    .description('the escalations waiting for a person, oldest first, with the options they offer')
    .option('--project <name>', 'only this project')
    .action(async (options: { project?: string }, command: Command) => {
      const run = runOf(command);
      const escalations = await run.api.inbox.escalations.query(parseArgs(InboxFilter, options));
      run.print(escalations, () =>
        escalations.length === 0
          ? 'No escalation waits for a person.'
          : escalations
              .map((escalation) =>
                [
                  `${escalation.id}  ${escalation.project}/${escalation.subtask.key}  ${escalation.phase}, tier ${escalation.tier}, waiting ${duration(escalation.waitingMs)}${escalation.reminders > 0 ? `, ${escalation.reminders} reminder(s)` : ''}`,
                  `  ${escalation.reason}`,
                  ...escalation.options.map(
                    (option) =>
                      `  ${option.recommended ? '*' : ' '} ${option.id.padEnd(17)}${option.label}${option.detail ? `: ${option.detail}` : ''}`,
                  ),
                ].join('\n'),
              )
              .join('\n\n') + '\n\n* recommended.  Answer: maestro answer <escalation-id> <option> --reason "…"',
      );
    });

  program
    .command('answer')
    .description('answer an escalation with one of its options')
    .argument('<escalation-id>', 'as maestro escalations lists it')
    .argument('<option>', 'one of the options it offers: retry, retry_with_model, skip, reset, cancel')
    .requiredOption('--reason <text>', 'why: it goes to the audit log')
    .option('--hint <text>', 'retry: what the next attempt should know')
    .option('--model <id>', 'retry_with_model: the model (by default the one the escalation names)')
    .option('--phase <phase>', 'reset: the phase to go back to (by default the one the escalation names)')
    .option(
      '--wait <seconds>',
      'how long to wait for the subtask to move on, to say where it went (0: print what the workflow answered)',
      String(DEFAULT_WAIT_SECONDS),
    )
    .action(
      async (
        id: string,
        option: string,
        { wait: waitText, ...options }: { reason: string; hint?: string; model?: string; phase?: string; wait: string },
        command: Command,
      ) => {
        const run = runOf(command);
        const input = parseArgs(
          EscalationAnswerInput,
          { id, option, ...options },
          { id: '<escalation-id>', option: '<option>' },
        );
        const wait = parseArgs(WaitSeconds, waitText, { '': '--wait' });
        const answered = await run.api.escalation.answer.mutate(input);
        const ref = { project: answered.project, key: answered.key };
        const settled = await settle(run.api, ref, answered, wait);
        run.print(
          { ...answered, ...settled },
          () => `Answered with ${answered.option}. ${describeSettled(ref, settled)}`,
        );
      },
    );
}
