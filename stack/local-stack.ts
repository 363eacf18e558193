import path from 'node:path';
import type { QueueName } from '../domain/queues.js';
import { STACK_TOKEN_ENV } from '../domain/config-env.js';
import { newApiToken } from '../web/server/auth/secrets.js';
import { Supervisor } from '../workers/supervisor.js';
import type { ManagedProcess } from '../runtime/child-process.js';
import { type LoadedConfig, temporalAddressOf, temporalUiUrlOf } from '../runtime/config.js';
import type { DataLayout } from '../runtime/data-dir.js';
import { StackError } from '../runtime/errors.js';
import type { Logger } from '../runtime/log.js';
import type { LogSink } from '../runtime/log-sink.js';
import { assertPortFree, hostForUrl } from '../runtime/ports.js';
import { applyMigrationsInChild } from './migrate-in-child.js';
import { startEmbeddedPostgres } from './postgres.js';
import { projectRoot } from '../runtime/project-root.js';
import type { RunLock } from './run-lock.js';
import { resolveTemporalCli } from './temporal-cli.js';
import { waitForTemporalCluster } from './temporal-cluster.js';
import type { ScriptedModelServer } from './scripted-model/server.js';
import { startDemo } from './demo/demo.js';
import { DEMO_MODEL_HOST, chooseModelSource, demoModelEnv, startDemoModel } from './model-source.js';
import { RestartPolicy } from './restart-policy.js';
import { startTemporalDevServer } from './temporal-server.js';
import { allOrFirstError } from './all-or-first-error.js';
import { waitUntilAllQueuesPolled } from './queues-ready.js';
import { processEnvironment } from './process-environment.js';
import { workerGroups } from './worker-groups.js';

/**
 * Maestro's processes wait on I/O most of the time; a small young generation keeps each one about
 * 15 MB lighter at idle for a few more (sub-millisecond) scavenges. `npm start` runs the supervisor so too.
 */
export const NODE_OPTIONS = ['--max-semi-space-size=4'];

export interface ReadyInfo {
  /** No model was configured: the agents are played by the scripted model of the offline demo. */
  demo: boolean;
  consoleUrl: string;
  temporalAddress: string;
  temporalUiUrl: string | undefined;
  dataDir: string;
  workers: Array<{ name: string; pid: number; queues: QueueName[] }>;
  /** The first admin, while it still has the password the stack gave it (in `passwordFile`). */
  firstAdmin?: { name: string; passwordFile: string; created: boolean };
}

/**
 * The whole product on one machine: Temporal (the dev server unless TEMPORAL_ADDRESS is set),
 * PostgreSQL (embedded unless DATABASE_URL is set), the API and the worker processes, started in
 * that order and stopped in the reverse one. A stop may come at any moment, also while starting:
 * every process is tracked from the moment it exists.
 */
export class LocalStack {
  private temporal: ManagedProcess | undefined;
  private postgres: ManagedProcess | undefined;
  private demoModel: ScriptedModelServer | undefined;
  private readonly supervisor: Supervisor;
  private readonly startAbort = new AbortController();
  private starting: Promise<ReadyInfo> | undefined;
  private stopping: Promise<void> | undefined;
  /** Resolves when Temporal or PostgreSQL exits on its own: the stack cannot go on without them. */
  readonly infrastructureLost: Promise<string>;
  private loseInfrastructure!: (reason: string) => void;
  /** The supervisor's credential for its own calls to its API: new on every start, held only in memory. */
  private readonly stackToken = newApiToken().token;
  private firstAdmin: ReadyInfo['firstAdmin'];

  constructor(
    private readonly config: LoadedConfig,
    private readonly layout: DataLayout,
    private readonly log: Logger,
    private readonly sink: LogSink,
    private readonly lock: RunLock,
  ) {
    this.supervisor = new Supervisor(log, {
      onOutput: (name, line, stream) => sink.writeChildLine(name, line, stream),
      onSpawn: (spec, pid) => lock.track({ name: spec.name, pgid: pid, match: spec.script, stopSignal: 'SIGTERM' }),
    });
    this.infrastructureLost = new Promise((resolve) => (this.loseInfrastructure = resolve));
    sink.addSecret(this.stackToken);
  }

  start(): Promise<ReadyInfo> {
    this.starting ??= this.startInOrder();
    return this.starting;
  }

  /**
   * Workers drain first, then the API, Temporal and PostgreSQL stop. A start in progress is cut
   * short first. Safe to call more than once.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.startAbort.abort();
      await this.starting?.catch(() => undefined);
      await this.stopInOrder();
    })();
    return this.stopping;
  }

  /** Kills everything at once, for a second Ctrl-C. */
  forceStop(): void {
    this.supervisor.killAll();
    this.temporal?.signal('SIGKILL');
    this.postgres?.signal('SIGKILL');
  }

  private async startInOrder(): Promise<ReadyInfo> {
    await this.checkPorts();
    const temporalCli = await this.findTemporalCli();
    const [temporal, databaseUrl] = await allOrFirstError([
      this.startTemporal(temporalCli),
      this.startDatabase(),
    ] as const);
    this.assertStillStarting();
    const childEnv = { ...this.childEnv(temporal, databaseUrl), ...(await this.modelEnv()) };
    const root = projectRoot();
    const groups = workerGroups(this.config.workers.processes);
    await allOrFirstError([
      this.supervisor.start({
        name: 'api',
        script: path.join(root, 'dist/web/server/main.js'),
        nodeOptions: NODE_OPTIONS,
        args: [],
        env: processEnvironment(childEnv, this.config.models, { kind: 'api' }, this.stackToken),
        cwd: process.cwd(),
        stopTimeoutMs: 10_000,
      }),
      ...groups.map((group) =>
        this.supervisor.start({
          name: group.name,
          script: path.join(root, 'dist/workers/main.js'),
          nodeOptions: NODE_OPTIONS,
          args: ['--queues', group.queues.join(',')],
          // Model keys go only to the processes that make the calls: the others run the projects' code.
          env: processEnvironment(
            childEnv,
            this.config.models,
            { kind: 'worker', queues: group.queues },
            this.stackToken,
          ),
          cwd: process.cwd(),
          stopTimeoutMs: this.config.workers.shutdownGraceMs + 10_000,
        }),
      ),
    ]);
    const consoleUrl = `http://${hostForUrl(this.config.api.host)}:${this.config.api.port}`;
    await waitUntilAllQueuesPolled({
      consoleUrl,
      headers: this.apiHeaders(),
      groups,
      pids: () => this.supervisor.pids(),
      assertStillStarting: () => this.assertStillStarting(),
      logsDir: this.layout.logs,
    });
    if (this.demoModel) await startDemo(consoleUrl, this.apiHeaders(), this.config.dataDir, this.log);
    const pids = this.supervisor.pids();
    return {
      demo: this.demoModel !== undefined,
      consoleUrl,
      temporalAddress: temporal.address,
      temporalUiUrl: temporal.uiUrl,
      dataDir: this.config.dataDir,
      workers: groups.map((group) => ({ ...group, pid: pids.get(group.name)! })),
      ...(this.firstAdmin ? { firstAdmin: this.firstAdmin } : {}),
    };
  }

  private apiHeaders(): Record<string, string> {
    return { authorization: `Bearer ${this.stackToken}` };
  }

  private async stopInOrder() {
    const workers = this.supervisor.names().filter((name) => name.startsWith('worker:'));
    if (workers.length > 0) this.log.info({ workers }, 'stopping workers: they finish their running tasks first');
    const steps: Array<[string, () => Promise<unknown>]> = [
      ['workers', () => this.supervisor.stop(workers)],
      ['the API', () => this.supervisor.stop(this.supervisor.names())],
      ['the scripted model', async () => this.demoModel?.close()],
      ['Temporal', () => this.stopInfrastructure(this.temporal, 'SIGTERM', 15_000, 'Temporal stopped')],
      ['PostgreSQL', () => this.stopInfrastructure(this.postgres, 'SIGINT', 30_000, 'PostgreSQL stopped')],
    ];
    for (const [what, step] of steps) {
      try {
        await step();
      } catch (error) {
        this.log.error({ err: error }, `stopping ${what} failed; going on with the rest`);
      }
    }
    this.lock.release();
  }

  private async stopInfrastructure(
    child: ManagedProcess | undefined,
    signal: NodeJS.Signals,
    timeoutMs: number,
    message: string,
  ) {
    if (!child?.running) return;
    this.log.info(await child.stop(signal, timeoutMs), message);
  }

  /** A stop requested while starting wins: nothing new is started after it. */
  private assertStillStarting() {
    if (this.startAbort.signal.aborted) throw new StackError('Stopped while starting.');
  }

  private async checkPorts() {
    const { temporal, database, api } = this.config;
    const checks: Array<Promise<void>> = [assertPortFree(api.host, api.port, 'API and console', 'MAESTRO_API_PORT')];
    if (!temporal.address) {
      checks.push(assertPortFree(temporal.host, temporal.port, 'Temporal', 'MAESTRO_TEMPORAL_PORT'));
      checks.push(assertPortFree(temporal.host, temporal.httpPort, 'Temporal HTTP API', 'MAESTRO_TEMPORAL_HTTP_PORT'));
      if (temporal.ui)
        checks.push(assertPortFree(temporal.host, temporal.uiPort, 'Temporal UI', 'MAESTRO_TEMPORAL_UI_PORT'));
    }
    if (!database.url) checks.push(assertPortFree('127.0.0.1', database.port, 'PostgreSQL', 'MAESTRO_POSTGRES_PORT'));
    if (chooseModelSource(this.config.models, process.env).demo)
      checks.push(assertPortFree(DEMO_MODEL_HOST, this.config.demoModel.port, 'demo model', 'MAESTRO_DEMO_MODEL_PORT'));
    await Promise.all(checks);
  }

  /** Found (or built) before anything starts, so a missing CLI fails fast and alone. */
  private async findTemporalCli(): Promise<string | undefined> {
    if (this.config.temporal.address) return undefined;
    return resolveTemporalCli(
      {
        cliPath: this.config.temporal.cliPath,
        binDir: this.config.binDir,
        env: process.env,
        signal: this.startAbort.signal,
      },
      this.log.child({ component: 'temporal-cli' }),
    );
  }

  private async startTemporal(cliPath: string | undefined): Promise<{ address: string; uiUrl: string | undefined }> {
    if (!cliPath) {
      const address = temporalAddressOf(this.config);
      await waitForTemporalCluster(address, this.startAbort.signal, this.log);
      this.log.info({ address }, 'using the Temporal cluster at TEMPORAL_ADDRESS');
      return { address, uiUrl: temporalUiUrlOf(this.config) };
    }
    const launch = () =>
      startTemporalDevServer(
        {
          ...this.config.temporal,
          cliPath,
          dbFile: this.layout.temporalDb,
          logFile: path.join(this.layout.logs, 'temporal.log'),
        },
        {
          signal: this.startAbort.signal,
          onSpawn: (child) => {
            this.temporal = child;
            this.lock.track({
              name: 'temporal',
              pgid: child.pid,
              match: this.layout.temporalDb,
              stopSignal: 'SIGTERM',
            });
          },
        },
      );
    const server = await launch();
    this.superviseInfrastructure('Temporal', () => this.temporal!, launch);
    this.log.info(
      { address: server.address, cli: cliPath, internalPortsBrowserBlocked: server.internalPortsBrowserBlocked },
      'Temporal dev server answering',
    );
    return server;
  }

  private async startDatabase(): Promise<string> {
    let url = this.config.database.url;
    if (!url) {
      const launch = () =>
        startEmbeddedPostgres(
          {
            dataDir: this.layout.postgres,
            credentialsFile: this.layout.postgresCredentials,
            port: this.config.database.port,
            logFile: path.join(this.layout.logs, 'postgres.log'),
          },
          {
            signal: this.startAbort.signal,
            onSpawn: (child) => {
              this.postgres = child;
              this.lock.track({ name: 'postgres', pgid: child.pid, match: this.layout.postgres, stopSignal: 'SIGINT' });
            },
          },
        );
      const postgres = await launch();
      this.superviseInfrastructure('PostgreSQL', () => this.postgres!, launch);
      this.sink.addSecret(postgres.url);
      url = postgres.url;
      this.log.info({ port: this.config.database.port }, 'embedded PostgreSQL answering');
    } else {
      this.log.info('using the PostgreSQL at DATABASE_URL');
    }
    const { applied, firstAdmin } = await applyMigrationsInChild(url, this.config.dataDir, this.startAbort.signal);
    this.log.info(
      { applied },
      applied.length > 0 ? `applied ${applied.length} migration(s)` : 'database schema is up to date',
    );
    if (firstAdmin?.created)
      this.log.info(
        { user: firstAdmin.name, passwordFile: firstAdmin.passwordFile },
        'created the first admin; its password is in the file, readable by this user only',
      );
    this.firstAdmin = firstAdmin;
    return url;
  }

  /**
   * With no model configured, the agents are played by the scripted model of the offline demo, and
   * everyone is told so: the log here, the console through MAESTRO_MODEL_DEMO.
   */
  private async modelEnv(): Promise<NodeJS.ProcessEnv> {
    const source = chooseModelSource(this.config.models, process.env);
    if (!source.demo) {
      const missing = source.leftOut;
      if (missing.length > 0)
        this.log.info(
          { missing: missing.map((provider) => `${provider.provider}: ${provider.missing}`) },
          `model providers left out: ${missing.map((provider) => provider.provider).join(', ')}`,
        );
      for (const [name, ids] of source.unreachable) {
        this.log.warn(
          { routing: name, models: ids },
          `routing.${name}: none of ${ids.join(', ')} has its provider's key here: work routed there waits for a person`,
        );
      }
      return {};
    }
    this.demoModel = await startDemoModel({ host: DEMO_MODEL_HOST, port: this.config.demoModel.port });
    this.log.warn(
      { scriptedModel: this.demoModel.baseUrl },
      'No model is configured (set OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY, DEEPSEEK_API_KEY or MAESTRO_MODEL_BASE_URL): running the offline demo, where a scripted model plays the agents',
    );
    return demoModelEnv(this.demoModel.baseUrl);
  }

  /**
   * Temporal or PostgreSQL stopping on its own is restarted on its data (workers and the API
   * reconnect by themselves); only when that keeps failing does the whole stack stop, saying why.
   */
  private superviseInfrastructure(what: string, current: () => ManagedProcess, relaunch: () => Promise<unknown>) {
    const policy = new RestartPolicy();
    const watch = (child: ManagedProcess) =>
      void child.exited.then(async (exit) => {
        if (this.stopping) return;
        const restart = policy.shouldRestart(Date.now());
        const lastOutput = child.recentOutput().slice(-2_000);
        if (!restart) {
          this.log.error({ ...exit, lastOutput }, `${what} stopped unexpectedly again; giving up`);
          this.loseInfrastructure(
            `${what} stopped unexpectedly ${policy.restarts + 1} times in a row (see ${child.logFile ?? 'the log'})`,
          );
          return;
        }
        this.log.error({ ...exit, lastOutput }, `${what} stopped unexpectedly; restarting it`);
        try {
          await relaunch();
          this.log.info(`${what} restarted`);
          watch(current());
        } catch (error) {
          if (this.stopping) return;
          this.loseInfrastructure(
            `${what} stopped unexpectedly and could not be restarted: ${(error as Error).message}`,
          );
        }
      });
    watch(current());
  }

  private childEnv(temporal: { address: string; uiUrl: string | undefined }, databaseUrl: string): NodeJS.ProcessEnv {
    return {
      ...process.env,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: this.config.temporal.namespace,
      MAESTRO_TEMPORAL_UI_URL: temporal.uiUrl,
      DATABASE_URL: databaseUrl,
      MAESTRO_CONFIG: this.config.configFile,
      // Only the API gets the supervisor's token (below), never a worker running a project's code.
      [STACK_TOKEN_ENV]: undefined,
    };
  }
}
