import { readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { projectRoot } from '../runtime/project-root.js';
import { launchChromium } from '../test/support/browser.js';
import { freePorts, newDataDir } from '../test/support/maestro-process.js';
import { LOOPBACK_HOSTS, rawRequest, rebindingHosts } from '../test/support/raw-http.js';
import { BROWSER_BLOCKED_PORTS } from './browser-blocked-ports.js';
import { startTemporalDevServer } from './temporal-server.js';

const cliPath = process.env.TEMPORAL_CLI_PATH ?? path.join(projectRoot(), '.maestro/bin/temporal');
const ports = await freePorts();
const dataDir = newDataDir('temporal-hosts');
const namespace = 'maestro';
const options = {
  cliPath,
  host: '127.0.0.1',
  port: ports.temporal,
  httpPort: ports.temporalHttp,
  uiPort: ports.temporalUi,
  ui: true,
  namespace,
  dbFile: path.join(path.dirname(dataDir), 'temporal.db'),
  logFile: path.join(path.dirname(dataDir), 'temporal.log'),
};
const server = await startTemporalDevServer(options, { signal: new AbortController().signal, onSpawn: () => {} });
afterAll(async () => {
  await server.process.stop('SIGTERM', 10_000);
  rmSync(path.dirname(dataDir), { recursive: true, force: true });
});

const api = `/api/v1/namespaces/${namespace}/workflows`;
const workflowId = `rebinding-target-${Date.now()}`;

async function startWorkflow() {
  const started = await rawRequest({
    port: ports.temporalHttp,
    method: 'POST',
    path: `${api}/${workflowId}`,
    headers: { host: `127.0.0.1:${ports.temporalHttp}` },
    body: JSON.stringify({ workflowType: { name: 'NobodyRunsThis' }, taskQueue: { name: 'nobody-polls-this' } }),
  });
  expect(started.status, started.body).toBe(200);
}

async function workflowStatus(): Promise<string> {
  const described = await rawRequest({
    port: ports.temporalHttp,
    path: `${api}/${workflowId}`,
    headers: { host: `localhost:${ports.temporalHttp}` },
  });
  expect(described.status, described.body).toBe(200);
  return (JSON.parse(described.body) as { workflowExecutionInfo: { status: string } }).workflowExecutionInfo.status;
}

/** The TCP ports a process listens on, from /proc: its socket inodes matched to LISTEN entries. */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const found = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] === '0A' && inodes.has(fields[9]!)) found.add(parseInt(fields[1]!.split(':')[1]!, 16));
    }
  }
  return [...found].sort((a, b) => a - b);
}

describe('the Temporal UI and HTTP API refuse pages whose name was rebound to 127.0.0.1', () => {
  test('every other port of the dev server is browser-blocked or speaks only gRPC, which no page can read', async () => {
    expect(server.internalPortsBrowserBlocked).toBe(true);
    const open = listeningPorts(server.process.pid);
    expect(open).toContain(ports.temporal);
    const blocked: readonly number[] = BROWSER_BLOCKED_PORTS;
    const reachable = open.filter((port) => !blocked.includes(port));
    expect(reachable.length).toBeGreaterThan(0);
    for (const port of reachable) {
      const answer = await rawRequest({ port, path: api, headers: { host: `evil.example:${port}` } }).catch(
        () => undefined,
      );
      expect(answer, `port ${port} answered HTTP/1.1: ${answer?.status}`).toBeUndefined();
    }
  });

  test('every foreign Host gets 421 from the UI and the HTTP API, and the workflow keeps running', async () => {
    await startWorkflow();
    let attempts = 0;
    let held = 0;
    const tries = (port: number) =>
      [
        { method: 'GET', path: '/' },
        { method: 'GET', path: api },
        { method: 'GET', path: `${api}/${workflowId}` },
        { method: 'POST', path: `${api}/${workflowId}/terminate`, body: JSON.stringify({ reason: 'rebinding' }) },
        { method: 'POST', path: `/api/v1/namespaces/${namespace}/workflows/${workflowId}/terminate`, body: '{}' },
      ].map((route) => ({ ...route, port }));
    for (const port of [ports.temporalUi, ports.temporalHttp]) {
      for (const host of rebindingHosts(port)) {
        for (const route of tries(port)) {
          const answer = await rawRequest({ ...route, headers: { host } });
          attempts += 1;
          expect(answer.status, `${route.method} :${port}${route.path} with Host ${host}`).toBe(421);
          expect(answer.body).toMatch(/^The Temporal (UI|HTTP API) listens on 127\.0\.0\.1 and answers only to/);
          expect(answer.headers['x-frame-options']).toBe('DENY');
          held += 1;
        }
      }
    }
    // The gRPC port speaks HTTP/2 only: a page's HTTP/1.1 request gets nothing it can read.
    for (const host of rebindingHosts(ports.temporal)) {
      attempts += 1;
      const answer = await rawRequest({ port: ports.temporal, path: api, headers: { host } }).catch(() => undefined);
      expect(answer === undefined || answer.status >= 400, `gRPC port with Host ${host}`).toBe(true);
      held += 1;
    }
    expect(await workflowStatus()).toBe('WORKFLOW_EXECUTION_STATUS_RUNNING');
    console.info(`rebinding attempts tried: ${attempts}, held: ${held}`);
    expect(held).toBe(attempts);
  });

  test('loopback Hosts are served, with anti-framing and content-type headers', async () => {
    for (const host of LOOPBACK_HOSTS(ports.temporalUi)) {
      const page = await rawRequest({ port: ports.temporalUi, path: '/', headers: { host } });
      expect(page.status, `UI with Host ${host}`).toBe(200);
      expect(page.body).toContain('<div id="svelte">');
      expect(page.headers['x-frame-options']).toBe('DENY');
      expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(page.headers['x-content-type-options']).toBe('nosniff');
    }
    for (const host of LOOPBACK_HOSTS(ports.temporalHttp)) {
      const listed = await rawRequest({ port: ports.temporalHttp, path: api, headers: { host } });
      expect(listed.status, `HTTP API with Host ${host}`).toBe(200);
      expect(listed.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  test('the UI works in Chromium through the proxy: it lists the running workflow', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const failed: string[] = [];
      page.on('response', (response) => {
        if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`);
      });
      await page.goto(`${server.uiUrl}/namespaces/${namespace}/workflows`);
      await page.getByText(workflowId).first().waitFor({ timeout: 30_000 });
      await page.locator(`a[href*="/workflows/${workflowId}/"]`).first().click();
      await page.getByText('NobodyRunsThis').first().waitFor({ timeout: 30_000 });
      expect(failed).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});

describe('a restart of the dev server', () => {
  test('binds the same public ports again once the killed server is gone', async () => {
    server.process.signal('SIGKILL');
    await server.process.exited;
    const again = await startTemporalDevServer(options, { signal: new AbortController().signal, onSpawn: () => {} });
    try {
      expect(await workflowStatus()).toBe('WORKFLOW_EXECUTION_STATUS_RUNNING');
      const refused = await rawRequest({ port: ports.temporalUi, path: '/', headers: { host: 'evil.example' } });
      expect(refused.status).toBe(421);
    } finally {
      await again.process.stop('SIGTERM', 10_000);
    }
  });
});
