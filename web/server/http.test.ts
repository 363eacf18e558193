import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { disconnectPrisma, prismaFor } from '../../data/prisma.js';
import { loadConfig } from '../../runtime/config.js';
import { createLogger } from '../../runtime/log.js';
import { createApiServer } from './http.js';

/**
 * The real API server (createApiServer) on a free port, with a console directory of its own. The
 * requests here are decided before any procedure reaches the database or Temporal, so both point
 * at nothing.
 */
async function startServer(apiHost: string, consoleDir: string, cwd: string) {
  const config = loadConfig({
    env: {
      MAESTRO_DATA_DIR: path.join(cwd, 'data'),
      DATABASE_URL: 'postgresql://nobody:nothing@127.0.0.1:1/none',
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      MAESTRO_API_HOST: apiHost,
    },
    cwd,
  });
  const connection = Connection.lazy({ address: '127.0.0.1:1' });
  const server = createApiServer(
    {
      config,
      prisma: prismaFor('postgresql://nobody:nothing@127.0.0.1:1/none'),
      temporal: { connection, client: new Client({ connection }), address: '127.0.0.1:1', namespace: 'none' },
      log: createLogger('http-test', 'fatal'),
      startedAt: new Date(),
    },
    consoleDir,
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { server, port, close: () => new Promise((resolve) => server.close(resolve)) };
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A raw GET, to set the headers a proxy or a browser would (Host, Origin, X-Forwarded-For). */
function get(port: number, pathname: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path: pathname, headers }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.on('error', reject);
  });
}

function expectSecurityHeaders(answer: Answer) {
  expect(answer.headers['x-frame-options']).toBe('DENY');
  expect(answer.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(answer.headers['content-security-policy']).toContain("default-src 'self'");
  expect(answer.headers['x-content-type-options']).toBe('nosniff');
  expect(answer.headers['referrer-policy']).toBe('no-referrer');
}

const cwd = mkdtempSync(path.join(os.tmpdir(), 'maestro-http-test-'));
const consoleDir = path.join(cwd, 'console');

beforeAll(() => {
  mkdirSync(path.join(consoleDir, 'assets'), { recursive: true });
  writeFileSync(
    path.join(consoleDir, 'index.html'),
    '<!doctype html><html><head><script type="module" src="/assets/app.js"></script></head><body></body></html>',
  );
  writeFileSync(path.join(consoleDir, 'assets', 'app.js'), 'console.log("console");\n');
  writeFileSync(path.join(consoleDir, 'assets', 'app.css'), 'body { margin: 0; }\n');
});

afterAll(async () => {
  await disconnectPrisma();
  rmSync(cwd, { recursive: true, force: true });
});

describe('the API server on its loopback default (127.0.0.1)', () => {
  let api: Awaited<ReturnType<typeof startServer>>;
  beforeAll(async () => {
    api = await startServer('127.0.0.1', consoleDir, cwd);
  });
  afterAll(async () => {
    await api.close();
  });

  test('a plain request of this machine is the local admin; the same through a proxy is nobody', async () => {
    const local = await get(api.port, '/trpc/auth.me');
    expect(local.status).toBe(200);
    expect(JSON.parse(local.body)).toEqual({ result: { data: { user: null, signInRequired: false } } });

    const relayed: Array<Record<string, string>> = [
      { 'x-forwarded-for': '203.0.113.9' },
      { 'x-forwarded-for': '127.0.0.1' },
      { 'x-real-ip': '203.0.113.9' },
      { forwarded: 'for=203.0.113.9;proto=https' },
      { 'x-forwarded-proto': 'https' },
      { 'x-forwarded-host': 'maestro.example.com' },
      { origin: 'null' },
    ];
    for (const headers of relayed) {
      const me = await get(api.port, '/trpc/auth.me', headers);
      expect(JSON.parse(me.body), JSON.stringify(headers)).toEqual({
        result: { data: { user: null, signInRequired: true } },
      });
      const list = await get(api.port, '/trpc/project.list', headers);
      expect(list.status, JSON.stringify(headers)).toBe(401);
      const error = (JSON.parse(list.body) as { error: { message: string; data: { code: string } } }).error;
      expect(error.data.code).toBe('UNAUTHORIZED');
      expect(error.message).toMatch(/^Sign in first/);
    }
    const proxied = await get(api.port, '/trpc/project.list', { 'x-forwarded-for': '203.0.113.9' });
    expect(JSON.parse(proxied.body).error.message).toContain('it came through a proxy (x-forwarded-for)');
  });

  test('a Host other than a loopback name (DNS rebinding) is refused, for the API and the console', async () => {
    for (const pathname of ['/trpc/auth.me', '/trpc/project.list', '/', '/assets/app.js']) {
      for (const host of ['evil.example', 'evil.example:4800', '192.168.1.5:4800', 'localhost.evil.example']) {
        const refused = await get(api.port, pathname, { host });
        expect(refused.status, `${pathname} ${host}`).toBe(421);
        expect(refused.headers['content-type']).toBe('text/plain; charset=utf-8');
        expect(refused.body).toContain('answers only to 127.0.0.1, [::1] or localhost');
        expectSecurityHeaders(refused);
      }
    }
    for (const host of [`localhost:${api.port}`, `[::1]:${api.port}`, 'app.localhost'])
      expect((await get(api.port, '/trpc/auth.me', { host })).status, host).toBe(200);
  });

  test('every response carries the security headers and its own content type', async () => {
    const answers: Array<[string, Answer, string]> = [
      ['a query', await get(api.port, '/trpc/auth.me'), 'application/json'],
      ['a refusal', await get(api.port, '/trpc/project.list', { origin: 'null' }), 'application/json'],
      ['an unknown procedure', await get(api.port, '/trpc/no.such'), 'application/json'],
      ['the console', await get(api.port, '/'), 'text/html;charset=utf-8'],
      ['a console route', await get(api.port, '/projects/demo/subtasks/T-1'), 'text/html;charset=utf-8'],
      ['a script', await get(api.port, '/assets/app.js'), 'text/javascript'],
      ['a style sheet', await get(api.port, '/assets/app.css'), 'text/css'],
    ];
    for (const [what, answer, type] of answers) {
      expect(answer.headers['content-type'], what).toBe(type);
      expectSecurityHeaders(answer);
    }
    expect(answers[3]![1].body).toContain('<script type="module" src="/assets/app.js">');
  });
});

describe('the API server beyond this machine (MAESTRO_API_HOST=0.0.0.0)', () => {
  test('takes any Host (the name people reach it by), but gives nobody the local admin', async () => {
    const api = await startServer('0.0.0.0', consoleDir, cwd);
    try {
      const named = await get(api.port, '/trpc/auth.me', { host: 'maestro.example.com' });
      expect(named.status).toBe(200);
      expectSecurityHeaders(named);
      expect(JSON.parse(named.body)).toEqual({ result: { data: { user: null, signInRequired: true } } });
      expect((await get(api.port, '/trpc/project.list')).status).toBe(401);
    } finally {
      await api.close();
    }
  });
});
