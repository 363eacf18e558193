import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTRPCClient, httpLink } from '@trpc/client';
import { execa } from 'execa';
import type { QueueName } from '../domain/queues.js';
import type { AppRouter } from '../web/server/root.js';
import type { SystemStatus } from '../web/server/system-status.js';
import { Supervisor } from '../workers/supervisor.js';
import type { ManagedProcess } from './child-process.js';
import { type LoadedConfig, temporalAddressOf, temporalUiUrlOf } from './config.js';
import type { DataLayout } from './data-dir.js';
import { StackError } from './errors.js';
import type { Logger } from './log.js';
import type { LogSink } from './log-sink.js';
import { assertPortFree } from './ports.js';
import { startEmbeddedPostgres } from './postgres.js';
import { projectRoot } from './project-root.js';
import type { RunLock } from './run-lock.js';
import { resolveTemporalCli } from './temporal-cli.js';
import { startTemporalDevServer } from './temporal-server.js';

const READY_TIMEOUT_MS = 120_000;

/**
 * Maestro's processes wait on I/O most of the time; a small young generation keeps each one about
 * 15 MB lighter at idle for a few more (sub-millisecond) scavenges. `npm start` runs the supervisor so too.
 */
export const NODE_OPTIONS = ['--max-semi-space-size=4'];

export interface ReadyInfo {
  consoleUrl: string;
  temporalAddress: string;
  temporalUiUrl: string | undefined;
  dataDir: string;
  workers: Array<{ name: string; pid: number; queues: QueueName[] }>;
}

/**
 * The whole product on one machine: Temporal (the dev server unless TEMPORAL_ADDRESS is set),
 * PostgreSQL (embedded unless DATABASE_URL is set), the API and the worker processes, started in
 * that order and stopped in the reverse one.
 */
export class LocalStack {
  private temporal: ManagedProcess | undefined;
  private postgres: ManagedProcess | undefined;
  private readonly supervisor: Supervisor;
  private stopping: Promise<void> | undefined;
  /** Resolves when Temporal or PostgreSQL exits on its own: the stack cannot go on without them. */
  readonly infrastructureLost: Promise<string>;
  private loseInfrastructure!: (reason: string) => void;

  constructor(
    private readonly config: LoadedConfig,
    private readonly layout: DataLayout,
    private readonly log: Logger,
    private readonly sink: LogSink,
    private readonly lock: RunLock,
  ) {
    this.supervisor = new Supervisor(log, {
      onOutput: (name, line, stream) => sink.writeChildLine(name, line, stream),
      onSpawn: (name, pid) => lock.track(name, pid, 'node'),
    });
    this.infrastructureLost = new Promise((resolve) => (this.loseInfrastructure = resolve));
  }

  async start(): Promise<ReadyInfo> {
    await this.checkPorts();
    const temporalCli = await this.findTemporalCli();
    const [temporal, databaseUrl] = await allOrFirstError([this.startTemporal(temporalCli), this.startDatabase()] as const);
    this.assertStillStarting();
    const childEnv = this.childEnv(temporal, databaseUrl);
    const root = projectRoot();
    const workerGroups = this.config.workers.processes.map((queues) => ({ name: `worker:${queues.join('+')}`, queues }));
    await Promise.all([
      this.supervisor.start({
        name: 'api',
        script: path.join(root, 'dist/web/server/main.js'),
        nodeOptions: NODE_OPTIONS,
        args: [],
        env: childEnv,
        cwd: process.cwd(),
        stopTimeoutMs: 10_000,
      }),
      ...workerGroups.map((group) =>
        this.supervisor.start({
          name: group.name,
          script: path.join(root, 'dist/workers/main.js'),
          nodeOptions: NODE_OPTIONS,
          args: ['--queues', group.queues.join(',')],
          env: childEnv,
          cwd: process.cwd(),
          stopTimeoutMs: this.config.workers.shutdownGraceMs + 10_000,
        }),
      ),
    ]);
    this.assertStillStarting();
    const consoleUrl = `http://${this.config.api.host}:${this.config.api.port}`;
    await this.waitUntilAllQueuesPolled(consoleUrl, workerGroups);
    const pids = this.supervisor.pids();
    return {
      consoleUrl,
      temporalAddress: temporal.address,
      temporalUiUrl: temporal.uiUrl,
      dataDir: this.config.dataDir,
      workers: workerGroups.map((group) => ({ ...group, pid: pids.get(group.name)! })),
    };
  }

  /** Workers drain first, then the API, Temporal and PostgreSQL stop. Safe to call twice. */
  stop(): Promise<void> {
    this.stopping ??= this.stopInOrder();
    return this.stopping;
  }

  /** Kills everything at once, for a second Ctrl-C. */
  forceStop(): void {
    this.supervisor.killAll();
    this.temporal?.signal('SIGKILL');
    this.postgres?.signal('SIGKILL');
  }

  private async stopInOrder() {
    const workers = this.supervisor.names().filter((name) => name.startsWith('worker:'));
    if (workers.length > 0) this.log.info({ workers }, 'stopping workers: they finish their running tasks first');
    await this.supervisor.stop(workers);
    await this.supervisor.stop(this.supervisor.names());
    if (this.temporal?.running) {
      const exit = await this.temporal.stop('SIGTERM', 15_000);
      this.log.info(exit, 'Temporal stopped');
    }
    if (this.postgres?.running) {
      const exit = await this.postgres.stop('SIGINT', 30_000);
      this.log.info(exit, 'PostgreSQL stopped');
    }
    this.lock.release();
  }

  /** A stop requested while starting wins: nothing new is started after it. */
  private assertStillStarting() {
    if (this.stopping) throw new StackError('Stopped while starting.');
  }

  private async checkPorts() {
    const { temporal, database, api } = this.config;
    const checks: Array<Promise<void>> = [assertPortFree(api.host, api.port, 'API and console', 'MAESTRO_API_PORT')];
    if (!temporal.address) {
      checks.push(assertPortFree(temporal.host, temporal.port, 'Temporal', 'MAESTRO_TEMPORAL_PORT'));
      checks.push(assertPortFree(temporal.host, temporal.httpPort, 'Temporal HTTP API', 'MAESTRO_TEMPORAL_HTTP_PORT'));
      if (temporal.ui) checks.push(assertPortFree(temporal.host, temporal.uiPort, 'Temporal UI', 'MAESTRO_TEMPORAL_UI_PORT'));
    }
    if (!database.url) checks.push(assertPortFree('127.0.0.1', database.port, 'PostgreSQL', 'MAESTRO_POSTGRES_PORT'));
    await Promise.all(checks);
  }

  /** Found (or built) before anything starts, so a missing CLI fails fast and alone. */
  private async findTemporalCli(): Promise<string | undefined> {
    if (this.config.temporal.address) return undefined;
    return resolveTemporalCli(
      { cliPath: this.config.temporal.cliPath, binDir: this.config.binDir, env: process.env },
      this.log.child({ component: 'temporal-cli' }),
    );
  }

  private async startTemporal(cliPath: string | undefined): Promise<{ address: string; uiUrl: string | undefined }> {
    if (!cliPath) {
      this.log.info({ address: this.config.temporal.address }, 'using the Temporal cluster at TEMPORAL_ADDRESS');
      return { address: temporalAddressOf(this.config), uiUrl: temporalUiUrlOf(this.config) };
    }
    const server = await startTemporalDevServer({
      ...this.config.temporal,
      cliPath,
      dbFile: this.layout.temporalDb,
      logFile: path.join(this.layout.logs, 'temporal.log'),
    });
    this.temporal = server.process;
    this.lock.track('temporal', server.process.pid, path.basename(cliPath));
    this.watchInfrastructure(server.process, 'Temporal');
    this.log.info({ address: server.address, cli: cliPath }, 'Temporal dev server answering');
    return server;
  }

  private async startDatabase(): Promise<string> {
    let url = this.config.database.url;
    if (!url) {
      const postgres = await startEmbeddedPostgres({
        dataDir: this.layout.postgres,
        credentialsFile: this.layout.postgresCredentials,
        port: this.config.database.port,
        logFile: path.join(this.layout.logs, 'postgres.log'),
      });
      this.postgres = postgres.process;
      this.lock.track('postgres', postgres.process.pid, 'postgres');
      this.watchInfrastructure(postgres.process, 'PostgreSQL');
      this.sink.addSecret(postgres.url);
      url = postgres.url;
      this.log.info({ port: this.config.database.port }, 'embedded PostgreSQL answering');
    } else {
      this.log.info('using the PostgreSQL at DATABASE_URL');
    }
    const applied = await applyMigrationsInChild(url);
    this.log.info({ applied }, applied.length > 0 ? `applied ${applied.length} migration(s)` : 'database schema is up to date');
    return url;
  }

  private watchInfrastructure(child: ManagedProcess, what: string) {
    void child.exited.then((exit) => {
      if (this.stopping) return;
      this.log.error({ ...exit, lastOutput: child.recentOutput().slice(-2_000) }, `${what} stopped unexpectedly`);
      this.loseInfrastructure(`${what} stopped unexpectedly (see ${child.logFile ?? 'the log'})`);
    });
  }

  private childEnv(temporal: { address: string; uiUrl: string | undefined }, databaseUrl: string): NodeJS.ProcessEnv {
    return {
      ...process.env,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: this.config.temporal.namespace,
      MAESTRO_TEMPORAL_UI_URL: temporal.uiUrl,
      DATABASE_URL: databaseUrl,
      MAESTRO_CONFIG: this.config.configFile,
    };
  }

  /**
   * Ready means Temporal itself lists a live poller of one of our current worker processes on every
   * queue (the API reads DescribeTaskQueue); pollers of an earlier run do not count.
   */
  private async waitUntilAllQueuesPolled(consoleUrl: string, groups: Array<{ name: string; queues: QueueName[] }>) {
    const api = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${consoleUrl}/trpc` })] });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let status: SystemStatus | undefined;
    while (Date.now() < deadline) {
      this.assertStillStarting();
      try {
        status = await api.system.status.query();
        if (missingQueues(status, groups, this.supervisor.pids()).length === 0) return;
      } catch {
        // the API is still starting
      }
      await sleep(100);
    }
    const missing = status ? missingQueues(status, groups, this.supervisor.pids()) : ['the API did not answer'];
    throw new StackError(`Not ready after ${READY_TIMEOUT_MS / 1000} s: no worker polls ${missing.join(', ')}; see ${this.layout.logs}.`);
  }
}

/** Runs stack/migrate.js, so the schema engine's memory leaves with its process. */
async function applyMigrationsInChild(databaseUrl: string): Promise<string[]> {
  const result = await execa(process.execPath, [path.join(projectRoot(), 'dist/stack/migrate.js')], {
    env: { DATABASE_URL: databaseUrl },
    extendEnv: true,
    stdin: 'ignore',
    reject: false,
  });
  if (result.exitCode !== 0) {
    const reason = String(result.stderr).replace(/^maestro: /, '').split('\n')[0];
    throw new StackError(`Applying database migrations failed: ${reason}`);
  }
  return (JSON.parse(String(result.stdout).trim().split('\n').at(-1)!) as { applied: string[] }).applied;
}

/**
 * Like Promise.all, but waits for every step to finish before failing: a step still starting a
 * server when another fails would otherwise leave that server running after the stop.
 */
async function allOrFirstError<T extends readonly unknown[]>(steps: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const results = await Promise.allSettled(steps);
  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure) throw failure.reason;
  return results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

function missingQueues(status: SystemStatus, groups: Array<{ name: string; queues: QueueName[] }>, pids: Map<string, number>): string[] {
  return status.queues
    .filter((queue) => {
      const ourPids = groups.filter((group) => group.queues.includes(queue.name)).map((group) => pids.get(group.name));
      return !queue.pollers.some((poller) => poller.live && ourPids.some((pid) => poller.identity.startsWith(`${pid}@`)));
    })
    .map((queue) => queue.taskQueue);
}
