import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { commitAll, ensureWorktree, git, listWorktrees } from '../../git/git.js';
import { removeSubtaskWorktree, removeUntilGone } from './workspace.js';

const me = { name: 'Test', email: 'test@maestro.local' };
const QUICK = { attempts: 10, waitMs: 10 };

async function subtaskWorktree() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'maestro-workspace-'));
  const repo = path.join(dataDir, 'repo');
  await git(dataDir, ['init', '--quiet', '--initial-branch=main', repo]);
  writeFileSync(path.join(repo, 'a.txt'), 'one\n');
  await commitAll(repo, 'first', {}, me);
  const worktree = path.join(dataDir, 'worktrees', 'shop', 'maestro', '1-1-thing');
  mkdirSync(path.dirname(worktree), { recursive: true });
  await ensureWorktree(repo, worktree, 'maestro/1-1-thing', 'main');
  return { dataDir, repo, worktree };
}

describe('removing a subtask worktree', () => {
  test('a removal that fails while something still uses the folder is tried again until it goes', async () => {
    let left = 3;
    let calls = 0;
    const removal = await removeUntilGone(
      async () => {
        calls += 1;
        if (--left > 0) throw new Error('EBUSY');
      },
      () => left <= 0,
      QUICK,
    );
    expect(removal).toEqual({ gone: true });
    expect(calls).toBe(3);
  });

  test('a folder that stays is given up on after the last try, with the last error', async () => {
    let calls = 0;
    const started = Date.now();
    const removal = await removeUntilGone(
      async () => {
        calls += 1;
        throw new Error(`busy ${calls}`);
      },
      () => false,
      { attempts: 4, waitMs: 20 },
    );
    expect(calls).toBe(4);
    expect(removal.gone).toBe(false);
    expect((removal.error as Error).message).toBe('busy 4');
    // Three waits between four tries.
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
  });

  test('the worktree and git’s record of it go, the branch stays; a second removal finds nothing', async () => {
    const { dataDir, repo, worktree } = await subtaskWorktree();
    writeFileSync(path.join(worktree, 'stray.txt'), 'left by a test run');
    expect(await removeSubtaskWorktree({ dataDir }, repo, worktree, QUICK)).toBe(true);
    expect(existsSync(worktree)).toBe(false);
    expect(await listWorktrees(repo)).toEqual([repo]);
    expect(await git(repo, ['branch', '--list', 'maestro/1-1-thing'])).toContain('maestro/1-1-thing');
    expect(await removeSubtaskWorktree({ dataDir }, repo, worktree, QUICK)).toBe(false);
  });

  test('nothing outside the data folder’s worktrees is removed, nor the worktrees folder itself', async () => {
    const { dataDir, repo } = await subtaskWorktree();
    for (const outside of [repo, path.join(dataDir, 'worktrees'), path.join(dataDir, 'worktrees-other', 'x')])
      await expect(removeSubtaskWorktree({ dataDir }, repo, outside, QUICK)).rejects.toThrow(/not Maestro's to remove/);
    expect(existsSync(path.join(repo, 'a.txt'))).toBe(true);
  });
});
