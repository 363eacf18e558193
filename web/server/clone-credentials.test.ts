import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { git } from '../../git/git.js';
import { createLogger } from '../../runtime/log.js';
import { removeCredentialsFromClones } from './clone-credentials.js';

describe('removeCredentialsFromClones', () => {
  test('an old clone with a token in its origin URL loses it; a clean one and other folders are left alone', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'maestro-old-clones-'));
    const old = path.join(dataDir, 'repos', 'old');
    const clean = path.join(dataDir, 'repos', 'clean');
    for (const [repo, url] of [
      [old, 'https://abc123@git.example.com/o/old.git'],
      [clean, 'https://git.example.com/o/clean.git'],
    ] as const) {
      mkdirSync(repo, { recursive: true });
      await git(repo, ['init', '--quiet']);
      await git(repo, ['remote', 'add', 'origin', url]);
    }
    mkdirSync(path.join(dataDir, 'repos', 'not-a-repo'));
    expect(await removeCredentialsFromClones(dataDir, createLogger('test', 'silent'))).toEqual([old]);
    expect(readFileSync(path.join(old, '.git', 'config'), 'utf8')).not.toContain('abc123');
    expect(await git(old, ['config', '--get', 'remote.origin.url'])).toBe('https://git.example.com/o/old.git');
    expect(await git(clean, ['config', '--get', 'remote.origin.url'])).toBe('https://git.example.com/o/clean.git');
    expect(await removeCredentialsFromClones(path.join(dataDir, 'none'), createLogger('test', 'silent'))).toEqual([]);
  });
});
