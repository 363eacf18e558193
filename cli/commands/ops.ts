import type { Command } from 'commander';
import { z } from 'zod';
import { ProjectName } from '../../domain/project.js';
import { Since, parseArgs, runOf } from '../context.js';
import { ago, duration, percent, table, timestamp, usd } from '../format.js';

const Role = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,39}$/, 'a role like tester, developer, orchestrator, runner, council, models or workflows');
const ms = (value: number) => duration(value);

export function registerOps(program: Command): void {
  program
    .command('queues')
    .description(
      'every task queue with its backlog and the workers polling it; throughput and failures per role in the last hour',
    )
    .action(async (_options: unknown, command: Command) => {
      const run = runOf(command);
      const [queues, roles] = await Promise.all([run.api.queues.list.query(), run.api.metrics.roles.query({})]);
      run.print({ ...queues, roles: roles.roles }, () => {
        const queueTable = table(
          [
            { header: 'QUEUE' },
            { header: 'RUNS' },
            { header: 'BACKLOG', right: true },
            { header: 'OLDEST', right: true },
            { header: 'POLLERS', right: true },
            { header: 'LAST POLL' },
            { header: 'WORKERS', max: 60 },
            { header: 'STATUS' },
          ],
          queues.queues.map((queue) => [
            queue.taskQueue,
            queue.kind === 'workflow' ? 'workflows' : queue.model ? `model ${queue.model}` : queue.name,
            queue.backlog?.count ?? '?',
            queue.backlog && queue.backlog.count > 0 ? ms(queue.backlog.ageMs) : '—',
            queue.pollers.filter((poller) => poller.live).length,
            ago(
              queue.pollers
                .map((poller) => poller.lastAccessAt)
                .filter(Boolean)
                .sort()
                .at(-1),
            ),
            queue.pollers.map((poller) => poller.identity.replace(/\/maestro:.*$/, '')).join(', ') || '—',
            queue.error ? `error: ${queue.error}` : queue.polled ? 'polled' : 'no worker',
          ]),
        );
        const roleTable =
          roles.roles.length === 0
            ? 'No activity ran in the last hour.'
            : table(
                [
                  { header: 'ROLE' },
                  { header: 'RUNS', right: true },
                  { header: 'PER MIN', right: true },
                  { header: 'FAILED', right: true },
                  { header: 'FAILURE RATE', right: true },
                  { header: 'P50', right: true },
                  { header: 'P95', right: true },
                  { header: 'LAST RUN' },
                ],
                roles.roles.map((role) => [
                  role.role,
                  role.runs,
                  role.perMinute,
                  role.failed,
                  percent(role.failureRate),
                  ms(role.p50),
                  ms(role.p95),
                  ago(role.lastRunAt),
                ]),
              );
        return `${queueTable}\n\nThe last hour, per role:\n${roleTable}`;
      });
    });

  program
    .command('costs')
    .description('spend per project, model, day and subtask, and each project’s budget tiers')
    .option('--project <name>', 'only this project')
    .option('--days <n>', 'how many days back', '30')
    .action(async (options: { project?: string; days: string }, command: Command) => {
      const run = runOf(command);
      const input = parseArgs(
        z.object({
          project: ProjectName.optional(),
          days: z.coerce.number().int('a whole number of days').min(1).max(3650),
        }),
        options,
      );
      const from = new Date(Date.now() - input.days * 86_400_000);
      const [summary, budgets] = await Promise.all([
        run.api.costs.summary.query({ project: input.project, from }),
        run.api.costs.budgets.query(),
      ]);
      const projects = budgets.projects.filter((budget) => !input.project || budget.project === input.project);
      run.print({ summary, budgets: { ...budgets, projects } }, () => {
        const lines = [
          'Spent ' +
            usd(summary.total.costUsd) +
            ` on ${summary.total.calls} model call(s) in the last ${input.days} day(s)${input.project ? ` in ${input.project}` : ''}.`,
          '',
        ];
        lines.push(
          'Budgets:',
          projects.length === 0
            ? 'No projects yet.'
            : table(
                [
                  { header: 'PROJECT' },
                  { header: 'SPENT', right: true },
                  { header: 'SOFT', right: true },
                  { header: 'HARD', right: true },
                  { header: 'EMERGENCY', right: true },
                  { header: 'TIER' },
                  { header: 'USED' },
                ],
                projects.map((budget) => [
                  budget.project,
                  usd(budget.spentUsd),
                  usd(budget.limits.softUsd),
                  usd(budget.limits.hardUsd),
                  usd(budget.limits.emergencyUsd),
                  budget.tier,
                  gauge(Number(budget.spentUsd) / budget.limits.hardUsd),
                ]),
              ),
          `Councils today: ${usd(budgets.council.spentTodayUsd)} of ${usd(budgets.council.dailyUsd)}${budgets.council.exhausted ? ' (exhausted: no council convenes until tomorrow)' : ''}.`,
        );
        const section = (title: string, header: string, rows: typeof summary.byModel) => {
          if (rows.length === 0) return;
          lines.push(
            '',
            `${title}:`,
            table(
              [
                { header },
                { header: 'COST', right: true },
                { header: 'CALLS', right: true },
                { header: 'TOKENS IN', right: true },
                { header: 'TOKENS OUT', right: true },
              ],
              rows.map((row) => [row.key, usd(row.costUsd), row.calls, row.inputTokens, row.outputTokens]),
            ),
          );
        };
        section('Per model', 'MODEL', summary.byModel);
        section('Per project', 'PROJECT', summary.byProject);
        section('Per day (UTC)', 'DAY', [...summary.byDay].reverse());
        section('Top subtasks', 'SUBTASK', summary.bySubtask.slice(0, 10));
        if (summary.total.calls === 0) lines.push('', 'No model calls yet: spend appears once agents run.');
        return lines.join('\n');
      });
    });

  program
    .command('bottlenecks')
    .description('the slowest activities, by p95, with their p50/p95/p99')
    .option('--since <when>', 'how far back: 30m, 24h, 7d, or a date', '24h')
    .option('--limit <n>', 'how many activity types', '10')
    .option('--role <role>', 'only this role’s activities')
    .action(async (options: { since: string; limit: string; role?: string }, command: Command) => {
      const run = runOf(command);
      const input = parseArgs(
        z.object({
          since: Since,
          limit: z.coerce.number().int('a whole number').min(1).max(100),
          role: Role.optional(),
        }),
        options,
      );
      const result = await run.api.metrics.bottlenecks.query(input);
      run.print(result, () =>
        result.activities.length === 0
          ? `No activity ran since ${result.since}: timings appear once workers have run something.`
          : table(
              [
                { header: 'ACTIVITY' },
                { header: 'ROLES' },
                { header: 'RUNS', right: true },
                { header: 'FAILED', right: true },
                { header: 'P50', right: true },
                { header: 'P95', right: true },
                { header: 'P99', right: true },
                { header: 'MAX', right: true },
                { header: 'TOTAL', right: true },
              ],
              result.activities.map((row) => [
                row.activityType,
                row.roles.join(','),
                row.runs,
                row.failed,
                ms(row.p50),
                ms(row.p95),
                ms(row.p99),
                ms(row.maxMs),
                ms(row.totalMs),
              ]),
            ),
      );
    });

  program
    .command('metrics')
    .description('one role’s throughput, failure rate and timings per activity')
    .requiredOption('--role <role>', 'tester, developer, orchestrator, runner, council, models or workflows')
    .option('--since <when>', 'how far back: 30m, 24h, 7d, or a date', '1h')
    .action(async (options: { role: string; since: string }, command: Command) => {
      const run = runOf(command);
      const input = parseArgs(z.object({ role: Role, since: Since }), options);
      const metrics = await run.api.metrics.role.query(input);
      run.print(metrics, () => {
        const head = [
          `Role ${metrics.role} since ${timestamp(metrics.since)}:`,
          `  ${metrics.runs} run(s), ${metrics.perMinute} per minute (${metrics.perHour} per hour); ${metrics.lastMinute} in the last minute, ${metrics.lastHour} in the last hour`,
          `  failed ${metrics.failed} (${percent(metrics.failureRate)}), cancelled ${metrics.cancelled}; p50 ${ms(metrics.p50)}, p95 ${ms(metrics.p95)}; last run ${ago(metrics.lastRunAt)}`,
        ].join('\n');
        if (metrics.activities.length === 0) return `${head}\n\nNothing ran in this window.`;
        return `${head}\n\n${table(
          [
            { header: 'ACTIVITY' },
            { header: 'RUNS', right: true },
            { header: 'FAILED', right: true },
            { header: 'FAILURE RATE', right: true },
            { header: 'P50', right: true },
            { header: 'P95', right: true },
            { header: 'AVG', right: true },
          ],
          metrics.activities.map((row) => [
            row.activityType,
            row.runs,
            row.failed,
            percent(row.failureRate),
            ms(row.p50),
            ms(row.p95),
            ms(row.avgMs),
          ]),
        )}`;
      });
    });
}

/** `[#####-----] 50%` of the hard limit. */
function gauge(fraction: number): string {
  const filled = Math.max(0, Math.min(10, Math.round(fraction * 10)));
  return `[${'#'.repeat(filled)}${'-'.repeat(10 - filled)}] ${Math.round(fraction * 100)}% of hard`;
}
