import { type Command, Option } from 'commander';
import { z } from 'zod';
import { ProjectInput, ReusePolicy } from '../../domain/project.js';
import { SANDBOX_NETWORK } from '../../domain/sandbox.js';
import { parseArgs, runOf } from '../context.js';
import { ago, table, usd } from '../format.js';

const Report = z
  .string()
  .regex(/^(junit|jest-json):.+$/, 'a report like junit:test-results/unit.xml or jest-json:report.json')
  .transform((text) => ({
    format: text.slice(0, text.indexOf(':')) as 'junit' | 'jest-json',
    path: text.slice(text.indexOf(':') + 1),
  }));
const Dollars = z.coerce.number('an amount in dollars, like 50');

export function registerProject(program: Command): void {
  const project = program.command('project').description('projects: the git repositories Maestro works on');

  project
    .command('add')
    .description('register a git repository (a local path or a URL to clone) with its test command')
    .argument('<name>', 'short name: lower-case letters, digits and dashes (used in workflow ids)')
    .requiredOption('--repository <path-or-url>', 'the git repository')
    .requiredOption('--test-command <command>', 'runs the unit tests, like "npm test" (no shell: no pipes or &&)')
    .option('--base-branch <branch>', 'the branch work starts from and merges into', 'main')
    .option('--install-command <command>', 'installs dependencies, like "npm ci"')
    .option('--test-report <format:path>', 'where the tests write their report: junit:<path> or jest-json:<path>')
    .option(
      '--integration-test-command <command>',
      'runs the integration tests; without one, subtasks leave out the integration_red and integration_green phases',
    )
    .option('--integration-test-report <format:path>', 'the integration tests’ report')
    .addOption(new Option('--soft-usd <dollars>', 'soft budget: warn and prefer cheap models'))
    .addOption(new Option('--hard-usd <dollars>', 'hard budget: no new agent work'))
    .addOption(new Option('--emergency-usd <dollars>', 'emergency budget: stop running calls'))
    .addOption(
      new Option(
        '--sandbox-network <which>',
        'which of its commands get the network in the sandbox: none (the default), install (the install command only) or all',
      ).choices(SANDBOX_NETWORK),
    )
    .addOption(
      new Option(
        '--reuse-test-results <when>',
        'when a check may take the result of an earlier run of the same command on the same files: offline (the default: when the tests run without the network), always or never',
      ).choices(ReusePolicy.options),
    )
    .action(async (name: string, options: Record<string, string | undefined>, command: Command) => {
      const run = runOf(command);
      const report = (text: string | undefined, flag: string) =>
        text === undefined ? undefined : parseArgs(Report, text, { '': flag });
      const dollars = (text: string | undefined, flag: string) =>
        text === undefined ? undefined : parseArgs(Dollars, text, { '': flag });
      const budget = {
        softUsd: dollars(options.softUsd, '--soft-usd'),
        hardUsd: dollars(options.hardUsd, '--hard-usd'),
        emergencyUsd: dollars(options.emergencyUsd, '--emergency-usd'),
      };
      const input = parseArgs(
        ProjectInput,
        {
          name,
          repository: options.repository,
          baseBranch: options.baseBranch,
          installCommand: options.installCommand,
          testCommand: options.testCommand,
          testReport: report(options.testReport, '--test-report'),
          integrationTestCommand: options.integrationTestCommand,
          integrationTestReport: report(options.integrationTestReport, '--integration-test-report'),
          budget: Object.values(budget).some((value) => value !== undefined) ? budget : undefined,
          sandbox: options.sandboxNetwork === undefined ? undefined : { network: options.sandboxNetwork },
          reuseTestResults: options.reuseTestResults,
        },
        { name: '<name>' },
      );
      const created = await run.api.project.create.mutate(input);
      run.print(
        created,
        () =>
          `Project ${created.name} added: ${created.repoPath} (${created.baseBranch}), tests: ${created.testCommand}.\n${created.phases.summary}`,
      );
    });

  project
    .command('sandbox')
    .description("change which of a project's commands get the network in the sandbox (admin)")
    .argument('<name>', 'the project')
    .addOption(
      new Option('--network <which>', 'none, install (the install command only) or all')
        .choices(SANDBOX_NETWORK)
        .makeOptionMandatory(),
    )
    .requiredOption('--reason <text>', 'why: it goes to the audit log')
    .action(
      async (
        name: string,
        options: { network: (typeof SANDBOX_NETWORK)[number]; reason: string },
        command: Command,
      ) => {
        const run = runOf(command);
        const changed = await run.api.project.setSandbox.mutate({
          name,
          network: options.network,
          reason: options.reason,
        });
        run.print(
          changed,
          () =>
            `Project ${changed.project}: sandbox network ${changed.sandbox.network} (was ${changed.before.network}).`,
        );
      },
    );

  project
    .command('list')
    .description('list the projects')
    .action(async (_options: unknown, command: Command) => {
      const run = runOf(command);
      const projects = await run.api.project.list.query();
      const budgets = await run.api.costs.budgets.query();
      const spent = new Map(budgets.projects.map((budget) => [budget.project, budget]));
      run.print(projects, () =>
        projects.length === 0
          ? 'No projects yet. Add one: maestro project add <name> --repository <path> --test-command "npm test"'
          : table(
              [
                { header: 'PROJECT' },
                { header: 'REPOSITORY', max: 50 },
                { header: 'BASE' },
                { header: 'TESTS', max: 30 },
                { header: 'SPENT', right: true },
                { header: 'BUDGET' },
                { header: 'CREATED' },
              ],
              projects.map((project) => {
                const budget = spent.get(project.name);
                return [
                  project.name,
                  project.repoUrl ?? project.repoPath,
                  project.baseBranch,
                  project.testCommand,
                  budget ? usd(budget.spentUsd) : '—',
                  budget?.tier,
                  ago(String(project.createdAt)),
                ];
              }),
            ),
      );
    });
}
