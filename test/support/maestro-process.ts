import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { isPortFree } from '../../runtime/ports.js';
import { projectRoot } from '../../runtime/project-root.js';
import { NODE_OPTIONS, type ReadyInfo } from '../../stack/local-stack.js';

export interface StackPorts {
  temporal: number;
  temporalHttp: number;
  temporalUi: number;
  postgres: number;
  api: number;
  demoModel: number;
}

export type LogRecord = Record<string, unknown> & { msg?: string; component?: string; level?: number };

/**
 * Ports below Linux's ephemeral range (32768+), where the Temporal dev server picks its own internal
 * ports at random: a port handed out by the OS could be taken by the dev server a moment later.
 */
export async function freePorts(): Promise<StackPorts> {
  const ports = new Set<number>();
  while (ports.size < 6) {
    const candidate = 20_000 + Math.floor(Math.random() * 12_000);
    if (!ports.has(candidate) && (await isPortFree(candidate))) ports.add(candidate);
  }
  const [temporal, temporalHttp, temporalUi, postgres, api, demoModel] = [...ports] as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return { temporal, temporalHttp, temporalUi, postgres, api, demoModel };
}

export function newDataDir(label: string): string {
  const parent = mkdtempSync(path.join(os.tmpdir(), `maestro-${label}-`));
  // As root, PostgreSQL runs as its own user, which must be able to enter the folder.
  chmodSync(parent, 0o755);
  return path.join(parent, 'data');
}

/**
 * What a test stack never inherits: Maestro's settings, `DATABASE_URL` and Temporal's (an address, a
 * namespace, the temporal CLI's own TLS and API keys), which would point a test at the caller's
 * cluster or data; and vitest's own.
 */
const DROPPED = [/^MAESTRO_/, /^TEMPORAL_/, /^DATABASE_URL$/, /^VITEST/];
/** Except where the Temporal CLI is: it only says which binary runs the stack's own dev server. */
const PASSED_THROUGH = new Set(['TEMPORAL_CLI_PATH']);

/** The environment of a Maestro stack on its own ports and data folder, isolated from the caller's. */
export function stackEnv(dataDir: string, ports: StackPorts, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!PASSED_THROUGH.has(name) && DROPPED.some((drop) => drop.test(name))) continue;
    env[name] = value;
  }
  return {
    ...env,
    MAESTRO_DATA_DIR: dataDir,
    MAESTRO_TEMPORAL_PORT: String(ports.temporal),
    MAESTRO_TEMPORAL_HTTP_PORT: String(ports.temporalHttp),
    MAESTRO_TEMPORAL_UI_PORT: String(ports.temporalUi),
    MAESTRO_POSTGRES_PORT: String(ports.postgres),
    MAESTRO_API_PORT: String(ports.api),
    MAESTRO_DEMO_MODEL_PORT: String(ports.demoModel),
    MAESTRO_SHUTDOWN_GRACE_MS: '5000',
    // A model endpoint nobody calls keeps the offline demo out of tests that are not about it.
    MAESTRO_MODEL_BASE_URL: 'http://127.0.0.1:9/v1',
    ...extra,
  };
}

/** `node dist/stack/main.js` as `npm start` runs it, as a child, with its JSON log lines parsed. */
export class MaestroProcess {
  readonly records: LogRecord[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private listeners: Array<() => void> = [];

  private constructor(
    readonly child: ChildProcess,
    readonly dataDir: string,
    readonly ports: StackPorts,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        this.records.push(JSON.parse(line) as LogRecord);
      } catch {
        this.records.push({ msg: line, component: 'stdout' });
      }
      for (const listener of this.listeners) listener();
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      this.stderr.push(line);
      for (const listener of this.listeners) listener();
    });
  }

  static spawn(options: { dataDir: string; ports: StackPorts; env?: NodeJS.ProcessEnv }): MaestroProcess {
    const child = spawn(process.execPath, [...NODE_OPTIONS, path.join(projectRoot(), 'dist/stack/main.js')], {
      cwd: projectRoot(),
      env: stackEnv(options.dataDir, options.ports, options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new MaestroProcess(child, options.dataDir, options.ports);
  }

  static async start(options: {
    dataDir: string;
    ports: StackPorts;
    env?: NodeJS.ProcessEnv;
  }): Promise<{ maestro: MaestroProcess; ready: ReadyInfo }> {
    const maestro = MaestroProcess.spawn(options);
    const ready = await maestro.waitForLog((record) => record.msg === 'Maestro is ready', 180_000);
    return { maestro, ready: ready as unknown as ReadyInfo };
  }

  get pid(): number {
    return this.child.pid!;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.ports.api}`;
  }

  /** Resolves with the first log record (already seen or to come) that matches. */
  waitForLog(match: (record: LogRecord) => boolean, timeoutMs = 60_000): Promise<LogRecord> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no matching log line within ${timeoutMs} ms; stderr: ${this.stderr.slice(-5).join(' | ')}`));
      }, timeoutMs);
      const check = () => {
        const found = this.records.find(match);
        if (found) {
          cleanup();
          resolve(found);
        }
      };
      const onExit = () => {
        cleanup();
        reject(new Error(`Maestro exited before the expected log line; stderr: ${this.stderr.join(' | ')}`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        this.listeners = this.listeners.filter((listener) => listener !== check);
        this.child.off('exit', onExit);
      };
      this.listeners.push(check);
      this.child.once('exit', onExit);
      check();
    });
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }

  /**
   * Kills the supervisor and everything it started, at once: for a test's last clean-up, so that no
   * Temporal, PostgreSQL or worker of it goes on running (and working) under the rest of the suite.
   */
  async killAll(): Promise<void> {
    const descendants = descendantsOf(this.pid);
    await this.stop('SIGKILL');
    for (const entry of descendants) {
      try {
        process.kill(entry.pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  }
}

export interface ProcessEntry {
  pid: number;
  ppid: number;
  pgid: number;
  command: string;
}

/** Every process on the machine, from /proc. */
export function listProcesses(): ProcessEntry[] {
  const entries: ProcessEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command sits in parentheses and may contain spaces; the fields after it are fixed.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue;
      const command = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      entries.push({ pid: Number(name), ppid: Number(fields[1]), pgid: Number(fields[2]), command });
    } catch {
      // the process ended while we read
    }
  }
  return entries;
}

/** The process and everything it started, at any depth. */
export function descendantsOf(rootPid: number): ProcessEntry[] {
  const all = listProcesses();
  const found: ProcessEntry[] = [];
  let frontier = [rootPid];
  while (frontier.length > 0) {
    const children = all.filter((entry) => frontier.includes(entry.ppid));
    found.push(...children);
    frontier = children.map((entry) => entry.pid);
  }
  return found;
}

/** Processes still alive in any of these process groups. */
export function processesInGroups(pgids: Iterable<number>): ProcessEntry[] {
  const groups = new Set(pgids);
  return listProcesses().filter((entry) => groups.has(entry.pgid));
}

export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    await sleep(100);
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`,
  );
}

export function dataDirExists(dataDir: string): boolean {
  return existsSync(path.join(dataDir, 'maestro-data.json'));
}
