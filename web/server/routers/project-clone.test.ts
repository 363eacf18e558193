import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { git } from '../../../git/git.js';
import { appRouter } from '../root.js';
import { LOCAL_ADMIN } from '../auth/caller.js';
import { createContextInner } from '../trpc.js';
import {
  type GitHttpServer,
  commandLines,
  gitHttpServer,
  silentServer,
} from '../../../test/support/git-http-server.js';
import { gitRepository, refusal, routerHarness, unique } from '../../../test/support/router-caller.js';

let harness: Awaited<ReturnType<typeof routerHarness>>;
let server: GitHttpServer;
const TOKEN = 'k9Qz7w'; // six characters: short tokens too stay out of everything
const ORIGIN = 'shop';

beforeAll(async () => {
  harness = await routerHarness(inject('sharedStack'));
  const served = mkdtempSync(path.join(os.tmpdir(), 'maestro-served-'));
  await git(served, ['clone', '--quiet', '--bare', await gitRepository(unique('origin')), `${ORIGIN}.git`]);
  server = await gitHttpServer(served, 'ann', TOKEN);
});
afterAll(async () => {
  await server?.close();
  await harness?.close();
});

describe('project.create with a URL that holds credentials', () => {
  test('the clone works, and the token is nowhere but in the request to the server', async () => {
    const name = unique('creds');
    const port = new URL(server.url).port;
    const created = await harness.as().project.create({
      name,
      repository: `http://ann:${TOKEN}@127.0.0.1:${port}/${ORIGIN}.git`,
      testCommand: 'npm test',
    });
    expect(created.repoUrl).toBe(`http://127.0.0.1:${port}/${ORIGIN}.git`);
    expect(await git(created.repoPath, ['rev-parse', '--verify', 'main'])).toMatch(/^[0-9a-f]{40}$/);
    expect(server.authorizations).toContain(`Basic ${Buffer.from(`ann:${TOKEN}`).toString('base64')}`);
    expect(readFileSync(path.join(created.repoPath, '.git', 'config'), 'utf8')).not.toContain(TOKEN);
    expect(server.commandLines.some((line) => line.includes('git-remote-http'))).toBe(true);
    expect(server.commandLines.filter((line) => line.includes(TOKEN))).toEqual([]);
    const row = await harness.prisma.project.findUniqueOrThrow({ where: { name } });
    expect(JSON.stringify(row)).not.toContain(TOKEN);
    expect(JSON.stringify(await harness.as().project.list())).not.toContain(TOKEN);
    // Private to the user: nobody else can look into the clone.
    expect(statSync(created.repoPath).mode & 0o777).toBe(0o700);
    expect(statSync(path.dirname(created.repoPath)).mode & 0o777).toBe(0o700);
  });

  test('a wrong token is refused by the server, and the message shows neither token nor a folder left', async () => {
    const name = unique('wrong');
    const port = new URL(server.url).port;
    const wrong = await refusal(
      harness.as().project.create({
        name,
        repository: `http://ann:n0p3@127.0.0.1:${port}/${ORIGIN}.git`,
        testCommand: 'npm test',
      }),
    );
    expect(wrong.code).toBe('BAD_REQUEST');
    expect(wrong.message).toMatch(new RegExp(`^Could not clone http://127.0.0.1:${port}/${ORIGIN}.git: `));
    expect(wrong.message).not.toContain('n0p3');
    expect(existsSync(path.join(harness.deps.config.dataDir, 'repos', name))).toBe(false);
  });
});

describe('project.create against a server that never answers', () => {
  test('gives up within the clone timeout, says what timed out and how to raise it, and leaves no folder', async () => {
    const silent = await silentServer();
    const timeoutMs = 3_000;
    const deps = { ...harness.deps, config: { ...harness.deps.config, repositories: { cloneTimeoutMs: timeoutMs } } };
    const api = appRouter.createCaller(createContextInner(deps, { caller: LOCAL_ADMIN }));
    const name = unique('silent');
    const started = Date.now();
    try {
      const failure = await refusal(
        api.project.create({ name, repository: `http://127.0.0.1:${silent.port}/r.git`, testCommand: 'npm test' }),
      );
      const seconds = (Date.now() - started) / 1000;
      console.log(`clone of a silent server failed after ${seconds.toFixed(1)} s (timeout ${timeoutMs / 1000} s)`);
      expect(seconds).toBeLessThan(timeoutMs / 1000 + 4);
      expect(failure.code).toBe('BAD_REQUEST');
      expect(failure.message).toBe(
        `Cloning http://127.0.0.1:${silent.port}/r.git gave no result within 3 s (a silent or very slow server) and was stopped: check the URL, or raise repositories.cloneTimeoutMs (env MAESTRO_CLONE_TIMEOUT_MS, now 3000) for a big repository.`,
      );
      expect(existsSync(path.join(deps.config.dataDir, 'repos', name))).toBe(false);
      expect(await harness.prisma.project.findUnique({ where: { name } })).toBeNull();
      // Nothing of the clone keeps running (git's transport helper included).
      expect(commandLines().filter((line) => line.includes(`127.0.0.1:${silent.port}`))).toEqual([]);
    } finally {
      await silent.close();
    }
  });
});
