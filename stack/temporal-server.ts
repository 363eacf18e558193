import { once } from 'node:events';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { MAESTRO_SEARCH_ATTRIBUTES } from '../domain/search-attributes.js';
import { ManagedProcess } from '../runtime/child-process.js';
import { helperEnvironment } from '../runtime/child-env.js';
import { StackError } from '../runtime/errors.js';
import { isLoopbackHost } from '../web/server/auth/loopback.js';
import { hostForUrl } from '../runtime/ports.js';
import { freeBrowserBlockedPorts } from './browser-blocked-ports.js';
import { type HostCheckedProxy, startHostCheckedProxy } from './host-checked-proxy.js';
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
  /** Whether the UI, HTTP API and metrics themselves listen on ports no browser connects to (see below). */
  internalPortsBrowserBlocked: boolean;
}

/**
 * Starts the Temporal CLI dev server on a persistent SQLite file and waits until it answers.
 *
 * Its Web UI and HTTP API answer any Host, so a page whose name was rebound to 127.0.0.1 could list
 * and terminate workflows: they listen on internal ports, on browser-blocked ones when free (no page
 * can reach them at all), and the configured ports are Host-checking proxies to them.
 */
export async function startTemporalDevServer(
  options: TemporalDevServerOptions,
  control: StartControl,
): Promise<TemporalDevServer> {
  const internalHost = isLoopbackHost(options.host) ? options.host : '127.0.0.1';
  const blocked = await freeBrowserBlockedPorts(options.host, 3);
  const [internalHttpPort, internalUiPort, metricsPort] = blocked ?? [
    await freePort(options.host),
    await freePort(internalHost),
  ];
  const proxies = await startProxies(options, {
    http: { host: connectHost(options.host), port: internalHttpPort! },
    ui: { host: connectHost(internalHost), port: internalUiPort! },
  });
  const args = [
    'server',
    'start-dev',
    '--ip',
    options.host,
    '--port',
    String(options.port),
    '--http-port',
    String(internalHttpPort),
    // Metrics tell workflow types and counts: a page must not read them either.
    ...(metricsPort === undefined ? [] : ['--metrics-port', String(metricsPort)]),
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
    ...(options.ui ? ['--ui-ip', internalHost, '--ui-port', String(internalUiPort)] : ['--headless']),
    ...Object.entries(MAESTRO_SEARCH_ATTRIBUTES).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
  ];
  const closeProxies = () => Promise.all(proxies.map((proxy) => proxy.close()));
  let server: ManagedProcess;
  try {
    server = await ManagedProcess.start({
      name: 'temporal',
      command: options.cliPath,
      args,
      logFile: options.logFile,
      env: { ...helperEnvironment(), TEMPORAL_ADDRESS: undefined, TEMPORAL_NAMESPACE: undefined },
    });
  } catch (error) {
    await closeProxies();
    throw error;
  }
  // A restart binds the same public ports again: they are free once this server is gone.
  void server.exited.finally(closeProxies);
  control.onSpawn(server);
  await waitUntilTemporalAnswers(server, options, control.signal);
  return {
    process: server,
    address: `${hostForUrl(options.host)}:${options.port}`,
    uiUrl: options.ui ? `http://${hostForUrl(options.host)}:${options.uiPort}` : undefined,
    internalPortsBrowserBlocked: blocked !== undefined,
  };
}

async function startProxies(
  options: TemporalDevServerOptions,
  targets: { http: { host: string; port: number }; ui: { host: string; port: number } },
): Promise<HostCheckedProxy[]> {
  const proxies = [
    await startHostCheckedProxy({
      what: 'The Temporal HTTP API',
      host: options.host,
      port: options.httpPort,
      target: targets.http,
    }),
  ];
  if (!options.ui) return proxies;
  try {
    proxies.push(
      await startHostCheckedProxy({
        what: 'The Temporal UI',
        host: options.host,
        port: options.uiPort,
        target: targets.ui,
      }),
    );
  } catch (error) {
    await proxies[0]!.close();
    throw error;
  }
  return proxies;
}

/** The address to connect to a server bound to `host`: a wildcard bind is reached on loopback. */
function connectHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

/** A port the OS hands out, when every browser-blocked one is taken. */
async function freePort(host: string): Promise<number> {
  const server = net.createServer();
  server.listen({ host, port: 0, exclusive: true });
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
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
