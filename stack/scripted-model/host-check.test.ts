import { afterAll, describe, expect, test } from 'vitest';
import { LOOPBACK_HOSTS, rawRequest, rebindingHosts } from '../../test/support/raw-http.js';
import { startScriptedModelServer } from './server.js';

const TASK = 'Maestro agent — role: developer, phase: green, subtask: 1-1, attempt: 1\n\n# Subtask 1-1';
const ORIGINAL = {
  name: 'original',
  conversations: [{ match: { key: '1-1' }, turns: [{ content: 'original answer' }] }],
};
const REPLACEMENT = { name: 'evil', conversations: [{ match: {}, turns: [{ content: 'evil answer' }] }] };

const server = await startScriptedModelServer({ script: ORIGINAL });
afterAll(() => server.close());
const port = Number(new URL(server.origin).port);

const modelCall = JSON.stringify({ model: 'scripted', messages: [{ role: 'user', content: TASK }] });
const ROUTES = [
  { method: 'POST', path: '/scripted/script', body: JSON.stringify(REPLACEMENT) },
  { method: 'GET', path: '/scripted/requests' },
  { method: 'GET', path: '/v1/models' },
  { method: 'POST', path: '/v1/chat/completions', body: modelCall },
  { method: 'POST', path: '/anthropic/v1/messages', body: modelCall },
];

async function answerNow(host = `127.0.0.1:${port}`): Promise<string> {
  const answer = await rawRequest({
    port,
    method: 'POST',
    path: '/v1/chat/completions',
    headers: { host },
    body: modelCall,
  });
  expect(answer.status).toBe(200);
  return (JSON.parse(answer.body) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content;
}

describe('the scripted model refuses pages whose name was rebound to 127.0.0.1', () => {
  test('every route answers 421 to a foreign Host, and the script stays', async () => {
    const recordedBefore = server.requests.length;
    let attempts = 0;
    for (const host of rebindingHosts(port)) {
      for (const route of ROUTES) {
        const answer = await rawRequest({ port, ...route, headers: { host } });
        attempts += 1;
        expect(answer.status, `${route.method} ${route.path} with Host ${host}`).toBe(421);
        expect(answer.body).toContain('answers only to 127.0.0.1, [::1] or localhost');
        expect(answer.headers['x-content-type-options']).toBe('nosniff');
      }
    }
    expect(attempts).toBeGreaterThanOrEqual(20);
    expect(server.requests.length).toBe(recordedBefore);
    expect(await answerNow()).toBe('original answer');
  });

  test('the control routes refuse a page of another site even with a loopback Host', async () => {
    const foreign: Array<Record<string, string>> = [
      { origin: 'http://evil.example' },
      { origin: 'null' },
      { origin: `http://evil.example:${port}` },
      { 'sec-fetch-site': 'cross-site' },
    ];
    for (const headers of foreign) {
      for (const route of ROUTES.slice(0, 2)) {
        const answer = await rawRequest({ port, ...route, headers: { host: `127.0.0.1:${port}`, ...headers } });
        expect(answer.status, `${route.path} with ${JSON.stringify(headers)}`).toBe(403);
      }
    }
    expect(await answerNow()).toBe('original answer');
  });

  test('loopback Hosts are answered, and the script can be replaced from this machine', async () => {
    for (const host of LOOPBACK_HOSTS(port)) expect(await answerNow(host)).toBe('original answer');
    const local = await rawRequest({
      port,
      method: 'POST',
      path: '/scripted/script',
      headers: { host: `localhost:${port}`, origin: `http://localhost:${port}` },
      body: JSON.stringify(REPLACEMENT),
    });
    expect(local.status).toBe(200);
    expect(await answerNow()).toBe('evil answer');
    server.setScript(ORIGINAL);
  });

  test('a server bound to every interface answers any Host (the check is for loopback binds)', async () => {
    const wide = await startScriptedModelServer({ script: ORIGINAL, host: '0.0.0.0' });
    try {
      const answer = await rawRequest({
        port: Number(new URL(wide.origin).port),
        path: '/v1/models',
        headers: { host: 'maestro.internal' },
      });
      expect(answer.status).toBe(200);
    } finally {
      await wide.close();
    }
  });
});
