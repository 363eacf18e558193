import { once } from 'node:events';
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createTRPCClient, httpLink } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TASK_QUEUES } from '../domain/queues.js';
import { disconnectPrisma, prismaFor } from '../data/prisma.js';
import { dataLayout } from '../runtime/data-dir.js';
import type { ReadyInfo } from '../stack/local-stack.js';
import { embeddedDatabaseUrl } from '../runtime/database-url.js';
import { projectRoot } from '../runtime/project-root.js';
import { createLogger } from '../runtime/log.js';
import { resolveTemporalCli } from '../stack/temporal-cli.js';
import type { AppRouter } from '../web/server/root.js';
import type { stackProbeWorkflow } from '../workflows/stack-probe.js';
import {
  MaestroProcess,
  type ProcessEntry,
  type StackPorts,
  descendantsOf,
  eventually,
  freePorts,
  listProcesses,
  newDataDir,
  processesInGroups,
} from './support/maestro-process.js';

/** Two worker processes, to see queues grouped and one group restarted alone. */
const TWO_WORKER_PROCESSES = {
  MAESTRO_WORKER_PROCESSES: 'workflows,orchestrator;tester,developer,runner,council,models',
};

/** One stack, taken through its whole life: start from nothing, a crash, a stop, a second start. */
describe('the local stack, from nothing to a restart', () => {
  let dataDir: string;
  let ports: StackPorts;
  let maestro: MaestroProcess;
  let ready: ReadyInfo;
  let tree: ProcessEntry[];

  beforeAll(async () => {
    dataDir = newDataDir('lifecycle');
    ports = await freePorts();
    ({ maestro, ready } = await MaestroProcess.start({ dataDir, ports, env: TWO_WORKER_PROCESSES }));
    tree = descendantsOf(maestro.pid);
  });

  afterAll(async () => {
    await maestro?.killAll();
    await disconnectPrisma();
  });

  test('comes up from nothing: Temporal, PostgreSQL, the API and both worker processes, each in its own process group', () => {
    expect(ready.consoleUrl).toBe(`http://127.0.0.1:${ports.api}`);
    expect(ready.temporalUiUrl).toBe(`http://127.0.0.1:${ports.temporalUi}`);
    const commands = tree.map((entry) => entry.command);
    expect(commands).toContainEqual(expect.stringMatching(/temporal server start-dev .*--namespace maestro/));
    expect(commands).toContainEqual(expect.stringMatching(/postgres -D .*postgres -p \d+/));
    expect(commands).toContainEqual(expect.stringContaining('dist/web/server/main.js'));
    expect(commands.filter((command) => command.includes('dist/workers/main.js'))).toHaveLength(2);
    const direct = tree.filter((entry) => entry.ppid === maestro.pid);
    expect(new Set(direct.map((entry) => entry.pgid)).size).toBe(direct.length);
    expect(direct.every((entry) => entry.pgid === entry.pid)).toBe(true);
  });

  test('a second stack on the same data folder is refused while this one runs', async () => {
    const second = MaestroProcess.spawn({ dataDir, ports: await freePorts() });
    const exit = await second.exited;
    expect(exit.code).toBe(1);
    expect(second.stderr.join('\n')).toMatch(/Maestro is already running from .* \(pid \d+\): stop it first/);
  });

  test('a worker killed with SIGKILL is restarted by the supervisor and its queue is polled again', async () => {
    const testerGroup = ready.workers.find((worker) => worker.queues.includes('tester'))!;
    process.kill(testerGroup.pid, 'SIGKILL');

    const crash = await maestro.waitForLog(
      (record) => record.child === testerGroup.name && record.signal === 'SIGKILL',
      10_000,
    );
    expect(crash.restartInMs as number).toBeLessThan(5_000);
    const restarted = await maestro.waitForLog((record) => record.msg === `${testerGroup.name} restarted`, 10_000);
    const newPid = restarted.pid as number;
    expect(newPid).not.toBe(testerGroup.pid);

    const api = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${maestro.apiUrl}/trpc` })] });
    await eventually(
      async () => {
        const status = await api.system.status.query();
        const tester = status.queues.find((queue) => queue.name === 'tester')!;
        return tester.pollers.some((poller) => poller.live && poller.identity.startsWith(`${newPid}@`)) || undefined;
      },
      30_000,
      'Temporal to list the restarted worker as a poller of maestro-tester',
    );

    // Polling is not enough: the restarted process must also execute the queue's tasks.
    const connection = await Connection.connect({ address: ready.temporalAddress });
    try {
      const client = new Client({ connection, namespace: 'maestro' });
      const reports = await client.workflow.execute<typeof stackProbeWorkflow>('stackProbeWorkflow', {
        taskQueue: TASK_QUEUES.workflows,
        workflowId: 'lifecycle-probe-after-restart',
      });
      expect(reports.find((report) => report.queue === 'tester')?.pid).toBe(newPid);
      expect(reports.map((report) => report.queue).sort()).toEqual([
        'council',
        'developer',
        'orchestrator',
        'runner',
        'tester',
      ]);
    } finally {
      await connection.close();
    }
  });

  test('writes data that must survive the stop, and leaves tasks running', async () => {
    const prisma = prismaFor(embeddedDatabaseUrl(dataLayout(dataDir).postgresCredentials, ports.postgres));
    await prisma.project.create({ data: { name: 'survivor', repoPath: '/srv/repo', testCommand: 'npm test' } });
    await disconnectPrisma();

    const connection = await Connection.connect({ address: ready.temporalAddress });
    try {
      const client = new Client({ connection, namespace: 'maestro' });
      const handle = await client.workflow.start<typeof stackProbeWorkflow>('stackProbeWorkflow', {
        taskQueue: TASK_QUEUES.workflows,
        workflowId: 'lifecycle-drain',
        args: [{ holdMs: 3_000 }],
      });
      await eventually(
        async () => {
          const { raw } = await handle.describe();
          return raw.pendingActivities?.length === 5 &&
            raw.pendingActivities.every((activity) => Number(activity.attempt) === 1 && activity.lastStartedTime)
            ? true
            : undefined;
        },
        20_000,
        'the five probe activities to be running',
      );
    } finally {
      await connection.close();
    }
  });

  test('Ctrl-C stops workers first, then the API, Temporal and PostgreSQL, and leaves no process behind', async () => {
    tree = descendantsOf(maestro.pid);
    const groups = new Set(tree.map((entry) => entry.pgid));
    groups.add(maestro.pid);
    const exit = await maestro.stop('SIGINT');
    expect(exit).toEqual({ code: 0, signal: null });
    expect(processesInGroups(groups)).toEqual([]);
    expect(tree.filter((entry) => isAlive(entry.pid))).toEqual([]);

    const order = maestro.records
      .map((record) => record.msg)
      .filter((msg): msg is string => typeof msg === 'string' && / stopped$/.test(msg) && !msg.startsWith('Maestro'));
    const position = (pattern: RegExp) => order.findIndex((msg) => pattern.test(msg));
    expect(position(/^worker:.* stopped$/)).toBeGreaterThanOrEqual(0);
    expect(position(/^worker:.* stopped$/)).toBeLessThan(position(/^api stopped$/));
    expect(position(/^api stopped$/)).toBeLessThan(position(/^Temporal stopped$/));
    expect(position(/^Temporal stopped$/)).toBeLessThan(position(/^PostgreSQL stopped$/));
    expect(
      maestro.records.find(
        (record) => record.msg === 'draining: polling stopped, finishing running tasks, then stopping',
      ),
    ).toBeDefined();
  });

  test('a second start finds all data as it was', async () => {
    ({ maestro, ready } = await MaestroProcess.start({ dataDir, ports, env: TWO_WORKER_PROCESSES }));
    expect(maestro.records.find((record) => record.msg === 'database schema is up to date')).toBeDefined();

    const prisma = prismaFor(embeddedDatabaseUrl(dataLayout(dataDir).postgresCredentials, ports.postgres));
    expect(await prisma.project.findUnique({ where: { name: 'survivor' } })).toMatchObject({ repoPath: '/srv/repo' });

    const connection = await Connection.connect({ address: ready.temporalAddress });
    try {
      const client = new Client({ connection, namespace: 'maestro' });
      const description = await client.workflow.getHandle('lifecycle-probe-after-restart').describe();
      expect(description.status.name).toBe('COMPLETED');
      // The tasks running at Ctrl-C were finished by the draining workers, not retried after the restart.
      const drained = await client.workflow.getHandle<typeof stackProbeWorkflow>('lifecycle-drain').result();
      expect(drained.map((report) => report.attempt)).toEqual([1, 1, 1, 1, 1]);
    } finally {
      await connection.close();
    }
    expect((await maestro.stop('SIGTERM')).code).toBe(0);
  });
});

describe('starting with a problem says what to fix in one line', () => {
  test('a port already in use', async () => {
    const ports = await freePorts();
    const squatter = net.createServer().listen(ports.api, '127.0.0.1');
    await once(squatter, 'listening');
    try {
      const maestro = MaestroProcess.spawn({ dataDir: newDataDir('port'), ports });
      expect((await maestro.exited).code).toBe(1);
      expect(maestro.stderr).toEqual([
        `maestro: Port ${ports.api} on 127.0.0.1 (API and console) is already in use by another program: stop that program or set MAESTRO_API_PORT to a free port.`,
      ]);
    } finally {
      squatter.close();
    }
  });

  test('a data folder that is not Maestro’s', async () => {
    const dataDir = newDataDir('foreign');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(path.join(dataDir, 'notes.txt'), 'not yours');
    const maestro = MaestroProcess.spawn({ dataDir, ports: await freePorts() });
    expect((await maestro.exited).code).toBe(1);
    expect(maestro.stderr).toHaveLength(1);
    expect(maestro.stderr[0]).toMatch(/is not a Maestro data folder .*set MAESTRO_DATA_DIR to a new or empty folder/);
  });

  test('a Temporal CLI path that points at nothing', async () => {
    const maestro = MaestroProcess.spawn({
      dataDir: newDataDir('cli'),
      ports: await freePorts(),
      env: { TEMPORAL_CLI_PATH: '/opt/nothing/temporal' },
    });
    expect((await maestro.exited).code).toBe(1);
    expect(maestro.stderr).toEqual([
      'maestro: TEMPORAL_CLI_PATH is set to /opt/nothing/temporal, which is not an executable file: fix the path or unset it.',
    ]);
  });

  test('no Temporal CLI anywhere and no Go to build one', async () => {
    const dataDir = newDataDir('nogo');
    const maestro = MaestroProcess.spawn({
      dataDir,
      ports: await freePorts(),
      // The caller's TEMPORAL_CLI_PATH reaches a test stack: this one must find none.
      env: {
        PATH: '/nonexistent',
        MAESTRO_BIN_DIR: path.join(path.dirname(dataDir), 'empty-bin'),
        TEMPORAL_CLI_PATH: undefined,
      },
    });
    expect((await maestro.exited).code).toBe(1);
    expect(maestro.stderr).toHaveLength(1);
    expect(maestro.stderr[0]).toMatch(
      /The Temporal CLI was not found .*brew install temporal.*temporal\.download\/cli\.sh.*docker compose up/,
    );
  });

  test('an invalid setting', async () => {
    const maestro = MaestroProcess.spawn({
      dataDir: newDataDir('config'),
      ports: await freePorts(),
      env: { MAESTRO_POSTGRES_PORT: 'five' },
    });
    expect((await maestro.exited).code).toBe(2);
    expect(maestro.stderr.join('\n')).toMatch(/MAESTRO_POSTGRES_PORT \(database\.port\): expected a whole port number/);
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('a start that fails half-way', () => {
  test('stops what it had already started', async () => {
    const dataDir = newDataDir('halfway');
    // A claimed data folder whose PostgreSQL folder holds something else: the database fails while
    // Temporal is still starting beside it.
    mkdirSync(path.join(dataDir, 'postgres'), { recursive: true });
    writeFileSync(path.join(dataDir, 'maestro-data.json'), JSON.stringify({ maestro: 1 }));
    writeFileSync(path.join(dataDir, 'postgres', 'stray.txt'), 'not a cluster');
    const maestro = MaestroProcess.spawn({ dataDir, ports: await freePorts() });
    expect((await maestro.exited).code).toBe(1);
    expect(maestro.stderr.join('\n')).toMatch(/has files but is not a PostgreSQL cluster: move it aside/);
    expect(listProcesses().filter((entry) => entry.command.includes(dataDir))).toEqual([]);
  });
});

describe('stopping at the wrong moment', () => {
  test('a stop while starting stops what had started, and the next start works', async () => {
    const dataDir = newDataDir('early-stop');
    const ports = await freePorts();
    const maestro = MaestroProcess.spawn({ dataDir, ports });
    await eventually(
      () => existsSync(path.join(dataDir, 'logs', 'temporal.log')) || undefined,
      30_000,
      'Temporal to be spawned',
    );
    const exit = await maestro.stop('SIGINT');
    expect(exit.code).toBe(0);
    expect(listProcesses().filter((entry) => entry.command.includes(dataDir))).toEqual([]);
    expect(existsSync(dataLayout(dataDir).runFile)).toBe(false);

    const again = await MaestroProcess.start({ dataDir, ports });
    expect((await again.maestro.stop('SIGINT')).code).toBe(0);
  });

  test('after a supervisor is killed outright, the next start clears what it left behind', async () => {
    const dataDir = newDataDir('killed');
    const ports = await freePorts();
    const first = await MaestroProcess.start({ dataDir, ports });
    const tree = descendantsOf(first.maestro.pid);
    const temporal = tree.find((entry) => entry.command.includes('temporal server start-dev'))!;
    process.kill(first.maestro.pid, 'SIGKILL');
    await first.maestro.exited;
    // The Node children notice their supervisor is gone and stop; Temporal and PostgreSQL cannot.
    await eventually(
      () =>
        tree.filter((entry) => entry.command.includes('dist/')).every((entry) => !isAlive(entry.pid))
          ? true
          : undefined,
      20_000,
      'the orphaned Node processes to stop',
    );
    expect(isAlive(temporal.pid)).toBe(true);

    const second = await MaestroProcess.start({ dataDir, ports });
    const cleaned = second.maestro.records.filter(
      (record) => record.msg === 'stopping a process left behind by an unclean stop',
    );
    expect(cleaned.map((record) => record.process).sort()).toEqual(['postgres', 'temporal']);
    expect(isAlive(temporal.pid)).toBe(false);
    expect((await second.maestro.stop('SIGINT')).code).toBe(0);
    expect(listProcesses().filter((entry) => entry.command.includes(dataDir))).toEqual([]);
  });

  test('Temporal that dies and cannot be restarted stops the rest, saying why', async () => {
    const dataDir = newDataDir('temporal-dies');
    // A copy of the CLI that can be taken away, so the restart fails.
    const cli = path.join(path.dirname(dataDir), 'temporal');
    const installed = await resolveTemporalCli(
      { cliPath: process.env.TEMPORAL_CLI_PATH, binDir: path.join(projectRoot(), '.maestro', 'bin'), env: process.env },
      createLogger('test', 'silent'),
    );
    copyFileSync(installed, cli);
    chmodSync(cli, 0o755);
    const { maestro } = await MaestroProcess.start({
      dataDir,
      ports: await freePorts(),
      env: { TEMPORAL_CLI_PATH: cli },
    });
    const temporal = descendantsOf(maestro.pid).find((entry) => entry.command.includes('temporal server start-dev'))!;
    rmSync(cli);
    process.kill(-temporal.pgid, 'SIGKILL');
    const exit = await maestro.exited;
    expect(exit.code).toBe(1);
    expect(
      maestro.records.find((record) => record.msg === 'Temporal stopped unexpectedly; restarting it'),
    ).toBeDefined();
    expect(maestro.records.at(-1)).toMatchObject({
      msg: 'Maestro stopped',
      reason: expect.stringContaining('Temporal stopped unexpectedly and could not be restarted'),
    });
    expect(listProcesses().filter((entry) => entry.command.includes(dataDir))).toEqual([]);
  });
});
