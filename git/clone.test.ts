import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import { CREDENTIAL_ENV, cloneCommand, git, removeRemoteCredentials } from './git.js';

const TOKEN = 'Zq7x1W';

describe('cloneCommand', () => {
  test('gives git the credentials in its environment, never in its arguments', () => {
    const { args, env } = cloneCommand('https://127.0.0.1:9/r.git', '/tmp/r', {
      host: '127.0.0.1:9',
      username: 'ann',
      password: TOKEN,
    });
    expect(args.join(' ')).not.toContain(TOKEN);
    expect(args.join(' ')).not.toContain('ann');
    expect(args.slice(-3)).toEqual(['--', 'https://127.0.0.1:9/r.git', '/tmp/r']);
    expect(env).toEqual({
      [CREDENTIAL_ENV.host]: '127.0.0.1:9',
      [CREDENTIAL_ENV.username]: 'ann',
      [CREDENTIAL_ENV.password]: TOKEN,
    });
    // The user's own credential helpers are cleared first, so none of them stores the token.
    const helpers = args.filter((arg) => arg.startsWith('credential.helper='));
    expect(helpers[0]).toBe('credential.helper=');
    expect(helpers).toHaveLength(2);
  });

  test('a stalled transfer fails; no credentials, no helper', () => {
    const { args, env } = cloneCommand('file:///tmp/origin', '/tmp/r');
    expect(args).toEqual(expect.arrayContaining(['http.lowSpeedLimit=1000', 'http.lowSpeedTime=30']));
    expect(args.some((arg) => arg.startsWith('credential.helper'))).toBe(false);
    expect(env).toEqual({});
  });

  test('the helper answers git with the credentials for the URL’s host only, and stores nothing', async () => {
    const { args, env } = cloneCommand('https://h/r.git', '/tmp/r', { host: 'h:1', username: 'ann', password: TOKEN });
    const helper = args[args.indexOf('credential.helper=') + 2]!.slice('credential.helper=!'.length);
    expect(helper).not.toContain(TOKEN);
    // As git runs a `!` helper: through the shell, with the operation as argument and the request on stdin.
    const ask = async (operation: string, host: string) =>
      (
        await execa('sh', ['-c', `${helper} ${operation}`], {
          input: `protocol=https\nhost=${host}\n\n`,
          env: { PATH: process.env.PATH, ...env },
          extendEnv: false,
        })
      ).stdout;
    expect(await ask('get', 'h:1')).toBe(`username=ann\npassword=${TOKEN}`);
    expect(await ask('get', 'elsewhere.example')).toBe('');
    expect(await ask('store', 'h:1')).toBe('');
  });
});

describe('removeRemoteCredentials', () => {
  test('rewrites an origin URL that holds a token, and leaves a clean one alone', async () => {
    const repo = mkdtempSync(path.join(os.tmpdir(), 'maestro-remote-'));
    await git(repo, ['init', '--quiet']);
    await git(repo, ['remote', 'add', 'origin', `https://ann:${TOKEN}@example.com/o/r.git`]);
    expect(await removeRemoteCredentials(repo)).toBe(true);
    expect(await git(repo, ['config', '--get', 'remote.origin.url'])).toBe('https://example.com/o/r.git');
    expect(await removeRemoteCredentials(repo)).toBe(false);
    const bare = mkdtempSync(path.join(os.tmpdir(), 'maestro-remote-'));
    await git(bare, ['init', '--quiet']);
    expect(await removeRemoteCredentials(bare)).toBe(false);
  });
});
