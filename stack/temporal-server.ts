import { setTimeout as sleep } from 'node:timers/promises';
import { MAESTRO_SEARCH_ATTRIBUTES } from '../domain/search-attributes.js';
import { ManagedProcess } from '../runtime/child-process.js';
import { helperEnvironment } from '../runtime/child-env.js';
import { StackError } from '../runtime/errors.js';
import { hostForUrl } from '../runtime/ports.js';
import type { StartControl } from './start-control.js';

export interface TemporalDevServerOptions {
  cliPath: string;
  host: string;
  port: number;
  httpPort: number;
  uiPort: number;
  ui: boolean;
  namespace: string;
  dbFile: string;
  logFile: string;
}

export interface TemporalDevServer {
  process: ManagedProcess;
  address: string;
  uiUrl: string | undefined;
}

/** Starts the Temporal CLI dev server on a persistent SQLite file and waits until it answers. */
export async function startTemporalDevServer(
  options: TemporalDevServerOptions,
  control: StartControl,
): Promise<TemporalDevServer> {
  const args = [
    'server',
    'start-dev',
    '--ip',
    options.host,
    '--port',
    String(options.port),
    '--http-port',
    String(options.httpPort),
    '--db-filename',
    options.dbFile,
    '--namespace',
    options.namespace,
    '--log-format',
    'json',
    '--log-level',
    'warn',
    // Write-ahead log with normal syncing: each workflow step costs far fewer fsyncs; a crash of the
    // server loses nothing (only a power cut could lose the last moments).
    '--sqlite-pragma',
    'journal_mode=wal',
    '--sqlite-pragma',
    'synchronous=normal',
    ...(options.ui ? ['--ui-port', String(options.uiPort)] : ['--headless']),
    ...Object.entries(MAESTRO_SEARCH_ATTRIBUTES).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
  ];
  const server = await ManagedProcess.start({
    name: 'temporal',
    command: options.cliPath,
    args,
    logFile: options.logFile,
    env: { ...helperEnvironment(), TEMPORAL_ADDRESS: undefined, TEMPORAL_NAMESPACE: undefined },
  });
  control.onSpawn(server);
  await waitUntilTemporalAnswers(server, options, control.signal);
  return {
    process: server,
    address: `${hostForUrl(options.host)}:${options.port}`,
    uiUrl: options.ui ? `http://${hostForUrl(options.host)}:${options.uiPort}` : undefined,
  };
}

async function waitUntilTemporalAnswers(
  server: ManagedProcess,
  options: TemporalDevServerOptions,
  signal: AbortSignal,
) {
  const url = `http://${hostForUrl(options.host)}:${options.httpPort}/api/v1/namespaces/${options.namespace}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (signal.aborted) throw new StackError('Stopped while starting.');
    if (!server.running) {
      throw new StackError(
        `The Temporal dev server stopped while starting: ${lastError(server.recentOutput())} (full log: ${options.logFile}).`,
      );
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new StackError(`The Temporal dev server did not answer within 60 s (see ${options.logFile}).`);
}

/** The dev server logs JSON; its last error says why it stopped (often: a port already taken). */
function lastError(log: string): string {
  const lines = log.split('\n').filter(Boolean);
  for (const line of lines.reverse()) {
    try {
      const record = JSON.parse(line) as { level?: string; msg?: string; error?: string };
      if (record.level === 'ERROR') {
        const detail = record.error ?? record.msg ?? line;
        return (detail.match(/[^:]+: bind: address already in use/)?.[0] ?? detail).slice(-300);
      }
    } catch {
      return line.slice(-300);
    }
  }
  return 'it printed nothing';
}
