import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { type ResultPromise, execa } from 'execa';
import { afterAll, describe, expect, inject, test } from 'vitest';
import { disconnectPrisma } from '../data/prisma.js';
import { projectRoot } from '../runtime/project-root.js';
import { eventually } from './support/maestro-process.js';
import { appendEvent, opsApi, sampleProject, sampleRepository, subtaskEscalated, uniqueName } from './support/ops.js';

const shared = inject('sharedStack');
const api = opsApi(shared.apiUrl);
const CLI = path.join(projectRoot(), 'dist', 'cli', 'main.js');

/** Runs the built CLI against the shared stack; never throws on a non-zero exit. */
function maestro(...args: string[]) {
  return execa('node', [CLI, ...args], {
    env: { MAESTRO_API_URL: shared.apiUrl, MAESTRO_TOKEN: '' },
    reject: false,
    timeout: 60_000,
  });
}

async function json<T = unknown>(...args: string[]): Promise<T> {
  const result = await maestro(...args, '--json');
  expect(result.exitCode, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}

afterAll(async () => {
  await disconnectPrisma();
});

describe('the maestro CLI against the real API', () => {
  test('project add and list, as a table and as JSON', async () => {
    const name = uniqueName('cli-proj');
    const repository = await sampleRepository(name);
    const added = await maestro(
      'project',
      'add',
      name,
      '--repository',
      repository,
      '--test-command',
      'npm test',
      '--test-report',
      'junit:test-results/unit.xml',
      '--hard-usd',
      '40',
    );
    expect(added.exitCode, added.stderr).toBe(0);
    // Without an integration test command, it says which phases its subtasks run, and why.
    expect(added.stdout).toBe(
      `Project ${name} added: ${repository} (main), tests: npm test.\nSubtasks of this project run red, green, refactor, verify, complete; integration_red and integration_green are left out: the project has no integrationTestCommand, so there are no integration tests to write or to make pass.`,
    );
    const again = await maestro('project', 'add', name, '--repository', repository, '--test-command', 'npm test');
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toMatch(/^maestro: /);
    const invalid = await maestro(
      'project',
      'add',
      'Not Valid',
      '--repository',
      repository,
      '--test-command',
      'npm test | tee log',
    );
    expect(invalid.exitCode).toBe(2);
    expect(invalid.stderr).toContain('<name>: use lower-case letters, digits and dashes');
    expect(invalid.stderr).toContain('--test-command: runs without a shell');
    const list = await maestro('project', 'list');
    expect(list.exitCode).toBe(0);
    expect(list.stdout).toMatch(/^PROJECT\s+REPOSITORY\s+BASE\s+TESTS\s+SPENT\s+BUDGET\s+CREATED/);
    expect(list.stdout).toMatch(new RegExp(`^${name}\\s+\\S+\\s+main\\s+npm test`, 'm'));
    const projects = await json<Array<{ name: string; testCommand: string }>>('project', 'list');
    expect(projects.find((project) => project.name === name)).toMatchObject({ testCommand: 'npm test' });
    const budgets = await json<{ budgets: { projects: Array<{ project: string; limits: { hardUsd: number } }> } }>(
      'costs',
      '--project',
      name,
    );
    expect(budgets.budgets.projects).toEqual([
      expect.objectContaining({ project: name, limits: { softUsd: 20, hardUsd: 40, emergencyUsd: 100 } }),
    ]);
  });

  test('subtask start, status and list; approve and overrides on a subtask the scripted model drives', async () => {
    const project = uniqueName('cli-flow');
    await sampleProject(api, project);
    const started = await maestro(
      'subtask',
      'start',
      `${project}/1-1`,
      '--title',
      'Add tax to the cart total',
      '--criterion',
      'total(items, taxRate) returns the subtotal plus tax, rounded to cents',
      '--criterion',
      'checkout(items, { taxRate }) reports the subtotal, the tax and the total',
      '--file',
      'src/cart.js',
      '--file',
      'src/checkout.js',
      '--risk',
      'high',
    );
    expect(started.exitCode, started.stderr).toBe(0);
    expect(started.stdout).toBe(
      `Started ${project}/1-1 (workflow subtask-${project}-1-1). Watch it: maestro subtask status ${project}/1-1`,
    );
    // A second start with a new title and criteria starts nothing, and says what it did not take.
    const restarted = await maestro(
      'subtask',
      'start',
      `${project}/1-1`,
      '--title',
      'Add VAT to the cart total',
      '--criterion',
      'x',
      '--risk',
      'high',
    );
    expect(restarted.exitCode, restarted.stderr).toBe(0);
    expect(restarted.stdout.split('\n')).toEqual([
      `${project}/1-1 was started before (workflow subtask-${project}-1-1): nothing new started.`,
      'Ignored, because a subtask keeps the spec it started with: --title, --criterion, --file.',
      `To do the new work, start it under a new key (maestro subtask start ${project}/<new-key> …); cancel this one if it is no longer wanted (maestro override cancel ${project}/1-1 --reason "…").`,
    ]);

    // High risk: the plan waits for a person before any agent acts.
    await eventually(
      async () =>
        (await maestro('approvals', '--project', project)).stdout.includes(`${project}/1-1`) ? true : undefined,
      60_000,
      'the plan approval in the CLI',
    );
    const status = await maestro('subtask', 'status', `${project}/1-1`);
    expect(status.exitCode).toBe(0);
    expect(status.stdout).toMatch(/^Subtask: +.+1-1 {2}Add tax to the cart total$/m);
    expect(status.stdout).toMatch(
      new RegExp(`^Waiting for: +approval of the plan since .+: maestro approve ${project}/1-1$`, 'm'),
    );
    expect(status.stdout).toContain('Checklist (0/9):');
    expect(status.stdout).toContain('[ ] total(items, taxRate) returns the subtotal plus tax, rounded to cents');
    // The workflow id names the same subtask.
    const byWorkflowId = await json<{ project: string; key: string; pendingGate?: { gate: string } }>(
      'subtask',
      'status',
      `subtask-${project}-1-1`,
    );
    expect(byWorkflowId).toMatchObject({ project, key: '1-1', pendingGate: { gate: 'plan' } });

    const list = await maestro('subtask', 'list', '--project', project);
    expect(list.stdout).toMatch(
      new RegExp(`^${project}/1-1\\s+Add tax to the cart total\\s+\\S+\\s+\\S+\\s+high`, 'm'),
    );

    const approved = await maestro('approve', `${project}/1-1`, '--comment', 'the plan is fine');
    expect(approved.exitCode, approved.stderr).toBe(0);
    // The update answers with the state it took the approval in (the plan gate, pending); the CLI
    // says so, and where the subtask went next: the worktree is made and the work starts in seconds.
    expect(approved.stdout).toMatch(
      new RegExp(`^Approved\\. ${project}/1-1 was pending when the workflow answered; now it is (in_progress|testing)`),
    );
    // Nothing waits any more: a second approval is refused by the workflow (exit 1, its message).
    const again = await maestro('approve', `${project}/1-1`);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toMatch(/^maestro: nothing waits for approval/);

    const paused = await maestro('override', 'pause', `${project}/1-1`, '--reason', 'looking at the plan again');
    expect(paused.exitCode, paused.stderr).toBe(0);
    expect(paused.stdout).toMatch(/^pause: done\. .* \(paused\)\.$/);
    expect((await json<{ paused: boolean }>('subtask', 'status', `${project}/1-1`)).paused).toBe(true);
    const cancelled = await maestro('override', 'cancel', `subtask-${project}-1-1`, '--reason', 'the CLI test is done');
    expect(cancelled.exitCode, cancelled.stderr).toBe(0);
    // Cancelled by the time the update answered, or soon after: either way the CLI says cancelled.
    expect(cancelled.stdout).toMatch(
      new RegExp(
        `^cancel: taken\\. ${project}/1-1 (is now|was [^;]+ \\(paused\\) when the workflow answered; now it is) cancelled\\.$`,
      ),
    );
    await eventually(
      async () =>
        (await json<{ status: string }>('subtask', 'status', `${project}/1-1`)).status === 'cancelled'
          ? true
          : undefined,
      30_000,
      'the cancel',
    );
    // Temporal shows it cancelled too (its UI said Completed before), and its state still answers.
    const connection = await Connection.connect({ address: shared.temporalAddress });
    try {
      const handle = new Client({ connection, namespace: shared.namespace }).workflow.getHandle(
        `subtask-${project}-1-1`,
      );
      await eventually(
        async () => ((await handle.describe()).status.name === 'CANCELLED' ? true : undefined),
        30_000,
        'the workflow to end cancelled',
      );
    } finally {
      await connection.close();
    }

    const events = await maestro('events', '--tail', '50', '--project', project);
    expect(events.stdout).toMatch(/user:local +approval\.approved/);
    expect(events.stdout).toMatch(/user:local +override\.pause +pause: looking at the plan again/);
    expect(events.stdout).toMatch(/user:local +override\.cancel/);
  });

  test('escalations lists the options, and answer chooses one', async () => {
    const project = uniqueName('cli-esc');
    const escalation = await subtaskEscalated(api, project);
    const listed = await maestro('escalations', '--project', project);
    expect(listed.stdout).toContain(`${escalation.id}  ${project}/1-1  setup, tier 1`);
    expect(listed.stdout).toMatch(/^ {2}\* retry +Retry the phase \(with a hint\)$/m);
    expect(listed.stdout).toMatch(/^ {4}cancel +Cancel the subtask$/m);

    const refused = await maestro('answer', escalation.id, 'skip', '--reason', 'skip it');
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toBe(`maestro: Escalation ${escalation.id} offers retry, cancel; not skip.`);
    const answered = await maestro('answer', escalation.id, 'cancel', '--reason', 'the install cannot work');
    expect(answered.exitCode, answered.stderr).toBe(0);
    expect(answered.stdout).toMatch(
      new RegExp(
        `^Answered with cancel\\. ${project}/1-1 (is now|was blocked[^;]* when the workflow answered; now it is) cancelled\\.$`,
      ),
    );
    expect((await maestro('answer', 'not-a-uuid', 'cancel', '--reason', 'x y z')).exitCode).toBe(2);
  });

  test('events --tail prints the latest events oldest first, and --follow picks up new ones', async () => {
    const project = uniqueName('cli-events');
    await sampleProject(api, project);
    await appendEvent(shared, { project, kind: 'probe.first', message: 'the first line' });
    await appendEvent(shared, { project, kind: 'probe.second', message: 'the second line' });
    const tail = await maestro('events', '--tail', '1', '--project', project);
    expect(tail.exitCode).toBe(0);
    expect(tail.stdout.split('\n')).toHaveLength(1);
    expect(tail.stdout).toMatch(
      new RegExp(
        `^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d {2}${project} +user:ops-test +probe\\.second +the second line$`,
      ),
    );
    const jsonLines = (await maestro('events', '--tail', '2', '--project', project, '--json')).stdout
      .split('\n')
      .map((line) => JSON.parse(line) as { message: string });
    expect(jsonLines.map((event) => event.message)).toEqual(['the first line', 'the second line']);

    const follow: ResultPromise = execa('node', [CLI, 'events', '--tail', '1', '--follow', '--project', project], {
      // The call timeout is for calls: following runs on past it.
      env: { MAESTRO_API_URL: shared.apiUrl, MAESTRO_CLI_TIMEOUT: '2' },
      reject: false,
    });
    let output = '';
    follow.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      await eventually(() => (output.includes('the second line') ? true : undefined), 15_000, 'the tail');
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      await appendEvent(shared, { project, kind: 'probe.third', message: 'a line written while following' });
      await eventually(
        () => (output.includes('a line written while following') ? true : undefined),
        15_000,
        'the followed event',
      );
    } finally {
      follow.kill('SIGINT');
    }
    const ended = await follow;
    expect(ended.exitCode).toBe(0);
    expect(output.trim().split('\n')).toHaveLength(2);
  });

  test('queues shows every queue with its pollers, and throughput per role', async () => {
    const result = await maestro('queues');
    expect(result.exitCode, result.stderr).toBe(0);
    for (const queue of ['workflows', 'orchestrator', 'tester', 'developer', 'runner', 'council']) {
      expect(result.stdout).toMatch(new RegExp(`^maestro-${queue} .* \\d+@\\S+ .*polled$`, 'm'));
    }
    expect(result.stdout).toMatch(/^maestro-model-scripted-demo +model scripted-demo/m);
    expect(result.stdout).toContain('The last hour, per role:');
    const parsed = await json<{
      queues: Array<{ taskQueue: string; pollers: unknown[]; backlog: { count: number } }>;
      roles: unknown[];
    }>('queues');
    expect(parsed.queues.find((queue) => queue.taskQueue === 'maestro-tester')!.pollers.length).toBeGreaterThan(0);
    expect(parsed.queues.every((queue) => typeof queue.backlog.count === 'number')).toBe(true);
  });

  test('costs shows spend per model and the budget tiers', async () => {
    // The demo's agents have called the scripted model by now.
    const result = await eventually(
      async () => {
        const run = await maestro('costs');
        return run.stdout.includes('scripted-demo') ? run : undefined;
      },
      120_000,
      'the demo’s model calls',
    );
    expect(result.stdout).toMatch(/^Spent \$\d+\.\d+ on \d+ model call\(s\) in the last 30 day\(s\)\.$/m);
    expect(result.stdout).toMatch(/^demo +\$[\d.]+ +\$20\.00 +\$50\.00 +\$100\.00 +ok +\[#*-*\] \d+% of hard$/m);
    expect(result.stdout).toMatch(/^scripted-demo +\$\d/m);
    const parsed = await json<{
      summary: { total: { calls: number } };
      budgets: { projects: Array<{ project: string }> };
    }>('costs', '--project', 'demo', '--days', '7');
    expect(parsed.summary.total.calls).toBeGreaterThan(0);
    expect(parsed.budgets.projects.map((budget) => budget.project)).toEqual(['demo']);
  });

  test('bottlenecks shows the slowest activities with p50/p95/p99, and metrics one role', async () => {
    const result = await eventually(
      async () => {
        const run = await maestro('bottlenecks', '--since', '2h', '--limit', '20');
        return run.stdout.includes('runAgentTool') ? run : undefined;
      },
      120_000,
      'agent runs to be timed',
    );
    expect(result.stdout).toMatch(/^ACTIVITY +ROLES +RUNS +FAILED +P50 +P95 +P99 +MAX +TOTAL$/m);
    expect(result.stdout).toMatch(/^runAgentTool +\S*tester\S* +\d+ +\d+ +[\d.]+ m?s +[\d.]+ m?s +[\d.]+ m?s/m);
    const parsed = await json<{ activities: Array<{ activityType: string; p50: number; p95: number; p99: number }> }>(
      'bottlenecks',
    );
    const agent = parsed.activities.find((row) => row.activityType === 'runAgentTool')!;
    expect(agent.p50).toBeLessThanOrEqual(agent.p95);
    expect(agent.p95).toBeLessThanOrEqual(agent.p99);

    const metrics = await maestro('metrics', '--role', 'tester', '--since', '2h');
    expect(metrics.exitCode, metrics.stderr).toBe(0);
    expect(metrics.stdout).toMatch(/^Role tester since .+:$/m);
    expect(metrics.stdout).toMatch(/^ {2}\d+ run\(s\), [\d.]+ per minute/m);
    expect(metrics.stdout).toMatch(/^runAgentTool +\d+ +\d+ +\d+(\.\d)?% /m);
    expect(
      (await json<{ role: string; runs: number }>('metrics', '--role', 'tester', '--since', '2h')).runs,
    ).toBeGreaterThan(0);
  });

  test('exit codes: 2 for a mistake in the command line, 1 when the server refuses, 3 when the API is away', async () => {
    const badId = await maestro('approve', 'not a subtask');
    expect(badId.exitCode).toBe(2);
    expect(badId.stderr).toContain('give the subtask as <project>/<key>, like shop/3-1, or as its workflow id');
    const badKey = await maestro('subtask', 'status', 'shop/3_1');
    expect(badKey.exitCode).toBe(2);
    expect((await maestro('override', 'frobnicate', 'shop/3-1', '--reason', 'why not')).stderr).toContain(
      '<action>: an override: skip, force, reset, reassign, pause, resume, cancel, retry',
    );
    expect((await maestro('override', 'skip', 'shop/3-1')).exitCode).toBe(2);
    expect((await maestro('events', '--tail', '0')).stderr).toBe('maestro: --tail: at least 1');
    expect((await maestro('bottlenecks', '--since', 'yesterday-ish')).exitCode).toBe(2);
    expect((await maestro('no-such-command')).exitCode).toBe(2);
    expect((await maestro('--url', 'not a url', 'queues')).exitCode).toBe(2);
    const badWait = await maestro('approve', 'shop/3-1', '--wait', 'soon');
    expect(badWait.exitCode).toBe(2);
    expect(badWait.stderr).toMatch(/^maestro: --wait: a number of seconds/);

    const refused = await maestro('approve', `${uniqueName('nope')}/1-1`);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/^maestro: No subtask subtask-nope-\w+-1-1: start it first\.$/);
    const ghost = uniqueName('ghost');
    const noProject = await maestro('subtask', 'start', `${ghost}/1-1`, '--title', 'Anything', '--criterion', 'works');
    expect(noProject.exitCode).toBe(1);
    expect(noProject.stderr).toBe(
      `maestro: No project named ${ghost}: create it first (project.create; on the command line: maestro project add ${ghost} --repository <path> --test-command "<command>").`,
    );

    const closed = await closedPort();
    const away = await execa('node', [CLI, 'queues'], {
      env: { MAESTRO_API_URL: `http://127.0.0.1:${closed}` },
      reject: false,
    });
    expect(away.exitCode).toBe(3);
    expect(away.stderr).toBe(
      `maestro: Cannot reach the Maestro API at http://127.0.0.1:${closed} (connection refused). Start Maestro with \`npm start\` in its directory, or point --url or MAESTRO_API_URL at a running API.`,
    );
    expect((await maestro('--help')).exitCode).toBe(0);
  });

  test('an API that accepts the connection and never answers: the CLI gives up after --timeout and says so', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => void sockets.push(socket)).listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const url = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
    try {
      for (const [how, args, env] of [
        ['--timeout', ['--timeout', '2'], {}],
        ['MAESTRO_CLI_TIMEOUT', [], { MAESTRO_CLI_TIMEOUT: '2' }],
      ] as const) {
        const started = Date.now();
        const result = await execa('node', [CLI, ...args, 'project', 'list'], {
          env: { MAESTRO_API_URL: url, ...env },
          reject: false,
          timeout: 30_000,
        });
        const seconds = (Date.now() - started) / 1000;
        console.log(`the CLI (${how} 2) gave up on a silent API after ${seconds.toFixed(1)} s`);
        expect(result.exitCode, result.stderr).toBe(3);
        expect(seconds).toBeLessThan(10);
        expect(result.stderr).toBe(
          `maestro: The Maestro API at ${url} did not answer within 2 s, so the command gave up (it may have been done all the same: look before repeating a change). Check that the API at --url or MAESTRO_API_URL is Maestro's and running, or allow longer with --timeout <seconds> or MAESTRO_CLI_TIMEOUT.`,
        );
      }
      const wrong = await execa('node', [CLI, '--timeout', 'soon', 'queues'], {
        env: { MAESTRO_API_URL: url },
        reject: false,
      });
      expect(wrong.exitCode).toBe(2);
      expect(wrong.stderr).toMatch(/--timeout \(or MAESTRO_CLI_TIMEOUT\): seconds a call may take, like 60/);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  test('a token is never printed', async () => {
    const token = 'mst_secret-token-that-must-not-appear';
    for (const args of [
      ['approve', 'not a subtask'],
      ['queues'],
      ['queues', '--json'],
      ['approve', `${uniqueName('nope')}/1-1`],
    ]) {
      const result = await execa('node', [CLI, ...args, '--token', token], {
        env: { MAESTRO_API_URL: shared.apiUrl },
        reject: false,
      });
      expect(`${result.stdout}${result.stderr}`).not.toContain(token);
      const fromEnv = await execa('node', [CLI, ...args], {
        env: { MAESTRO_API_URL: shared.apiUrl, MAESTRO_TOKEN: token },
        reject: false,
      });
      expect(`${fromEnv.stdout}${fromEnv.stderr}`).not.toContain(token);
    }
  });
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
