import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MAX_BODY_BYTES } from './body-limit.js';
import { createApiServer } from './http.js';
import type { ServerDeps } from './trpc.js';

/**
 * The real API server on port 0, with a database and Temporal nobody may use: what is tested here
 * is refused before a procedure could reach them.
 */
const unreachable = new Proxy(
  {},
  {
    get: () => {
      throw new Error('this test uses neither the database nor Temporal');
    },
  },
);
const logged: unknown[] = [];
const deps = {
  config: { api: { host: '127.0.0.1', port: 0, auth: 'auto' } },
  prisma: unreachable,
  temporal: unreachable,
  log: { error: (...args: unknown[]) => logged.push(args), warn: () => {}, info: () => {}, debug: () => {} },
  startedAt: new Date(),
} as unknown as ServerDeps;

let server: http.Server;
let port: number;
beforeAll(async () => {
  server = createApiServer(deps, '/nonexistent-console');
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

interface Answer {
  status: number;
  body: string;
}

/** POSTs to a procedure: `chunks` written one after another (chunked unless `contentLength` is given). */
function post(procedure: string, chunks: Iterable<Buffer | string>, contentLength?: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: `/trpc/${procedure}`,
      headers: {
        'content-type': 'application/json',
        ...(contentLength === undefined ? {} : { 'content-length': contentLength }),
      },
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    // The server may cut the connection once it answered: only a missing answer is a failure.
    req.on('error', () => {});
    const write = async () => {
      for (const chunk of chunks) {
        if (req.destroyed) return;
        if (!req.write(chunk))
          await new Promise<void>((resolve) => {
            const done = () => {
              req.off('drain', done).off('close', done);
              resolve();
            };
            req.on('drain', done).on('close', done);
          });
      }
      req.end();
    };
    void write();
    setTimeout(() => reject(new Error('no answer in 20 s')), 20_000).unref();
  });
}

function* megabytes(count: number) {
  const chunk = Buffer.alloc(64 * 1024, 'x');
  for (let sent = 0; sent < count * 1024 * 1024; sent += chunk.length) yield chunk;
}

describe('the API refuses request bodies over its limit', () => {
  test('a body declared over 1 MB is refused with 413 before it is read', async () => {
    const started = Date.now();
    // Only the first bytes of a declared 300 MB ever leave: the answer comes without the rest.
    const answer = await post('auth.signIn', ['{"name":"'], 300 * 1024 * 1024);
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({
      error: {
        message: `The request body is over the API's limit of ${MAX_BODY_BYTES} bytes: send less (text fields have limits far below it).`,
        data: { code: 'PAYLOAD_TOO_LARGE', httpStatus: 413 },
      },
    });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  test('a chunked body is counted as it streams and refused with 413 past the limit', async () => {
    const answer = await post('auth.signIn', megabytes(50));
    expect(answer.status).toBe(413);
    expect(answer.body).toContain('PAYLOAD_TOO_LARGE');
  });

  test('a body under the limit reaches the procedure: a NUL in the sign-in name is a 400 that says so', async () => {
    const body = JSON.stringify({ name: 'ali\u0000ce', password: 'a password' });
    const answer = await post('auth.signIn', [body], Buffer.byteLength(body));
    expect(answer.status).toBe(400);
    const error = JSON.parse(answer.body) as { error: { data: { code: string; issues: unknown[] } } };
    expect(error.error.data.code).toBe('BAD_REQUEST');
    expect(error.error.data.issues).toEqual([
      {
        path: 'name',
        message: 'a user name contains a NUL character (\\u0000), which cannot be stored: remove it',
      },
    ]);
    expect(logged).toEqual([]);
  });
});
