import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  commitAll,
  ensureWorktree,
  git,
  headCommit,
  listWorktrees,
  removeWorktree,
  resetWorktree,
  revParse,
  revertPaths,
  worktreeChanges,
} from './git.js';
import { keepBaseVersions, mergeIntoBase, rebaseOntoBase } from './merge.js';

const me = { name: 'Test', email: 'test@maestro.local' };

async function repository() {
  const root = mkdtempSync(path.join(os.tmpdir(), 'maestro-git-'));
  const repo = path.join(root, 'repo');
  await git(root, ['init', '--quiet', '--initial-branch=main', repo]);
  writeFileSync(path.join(repo, 'a.txt'), 'one\n');
  await commitAll(repo, 'first', {}, me);
  const worktree = path.join(root, 'work');
  await ensureWorktree(repo, worktree, 'maestro/1-1-thing', 'main');
  return { repo, worktree, base: await revParse(repo, 'main') };
}

describe('git for subtasks', () => {
  test('a worktree on its branch; found again on a retry; commits carry their trailers', async () => {
    const { repo, worktree, base } = await repository();
    await ensureWorktree(repo, worktree, 'maestro/1-1-thing', 'main');
    writeFileSync(path.join(worktree, 'b.txt'), 'two\n');
    const sha = await commitAll(
      worktree,
      '[green] 1-1 Thing (developer)\n\nadded b',
      { 'Maestro-Attempt': 'wf/green/1' },
      me,
    );
    expect((await headCommit(worktree)).message).toMatch(/Maestro-Attempt: wf\/green\/1/);
    writeFileSync(path.join(worktree, 'stray.txt'), 'left by a crashed attempt');
    await resetWorktree(worktree, base);
    expect(await revParse(worktree, 'HEAD')).toBe(base);
    expect(() => readFileSync(path.join(worktree, 'stray.txt'))).toThrow();
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
  });

  test('changes in a worktree are listed with their full paths, and put back as they were at HEAD', async () => {
    const { worktree } = await repository();
    writeFileSync(path.join(worktree, 'a.txt'), 'changed\n');
    mkdirSync(path.join(worktree, 'test', 'unit'), { recursive: true });
    writeFileSync(path.join(worktree, 'test', 'unit', 'new.test.js'), 'new\n');
    const changes = await worktreeChanges(worktree);
    expect(changes).toEqual([
      { path: 'a.txt', tracked: true },
      { path: 'test/unit/new.test.js', tracked: false },
    ]);
    await revertPaths(worktree, changes);
    expect(readFileSync(path.join(worktree, 'a.txt'), 'utf8')).toBe('one\n');
    expect(existsSync(path.join(worktree, 'test', 'unit', 'new.test.js'))).toBe(false);
    expect(await worktreeChanges(worktree)).toEqual([]);
  });

  test('merges with a merge commit and moves the checked-out base, files included', async () => {
    const { repo, worktree, base } = await repository();
    writeFileSync(path.join(worktree, 'b.txt'), 'two\n');
    await commitAll(worktree, 'work', {}, me);
    const result = await mergeIntoBase(repo, 'main', 'maestro/1-1-thing', base, 'Merge it', me);
    expect(result.status).toBe('merged');
    expect(await revParse(repo, 'main')).toBe(result.status === 'merged' ? result.mergeSha : '');
    expect(readFileSync(path.join(repo, 'b.txt'), 'utf8')).toBe('two\n');
    expect((await git(repo, ['log', '-1', '--format=%P', 'main'])).split(' ')).toHaveLength(2);
    expect(await git(repo, ['status', '--porcelain'])).toBe('');
  });

  test('a merge retried after it went through is recognised, not made twice', async () => {
    const { repo, worktree, base } = await repository();
    writeFileSync(path.join(worktree, 'b.txt'), 'two\n');
    await commitAll(worktree, 'work', {}, me);
    const first = await mergeIntoBase(repo, 'main', 'maestro/1-1-thing', base, 'Merge it', me);
    const again = await mergeIntoBase(repo, 'main', 'maestro/1-1-thing', base, 'Merge it', me);
    expect(again).toEqual(first);
    expect(await git(repo, ['rev-list', '--count', 'main'])).toBe('3');
  });

  test('a moved base is reported; a rebase onto it works when it does not conflict', async () => {
    const { repo, worktree, base } = await repository();
    writeFileSync(path.join(worktree, 'b.txt'), 'two\n');
    await commitAll(worktree, 'work', {}, me);
    writeFileSync(path.join(repo, 'c.txt'), 'three\n');
    await commitAll(repo, 'meanwhile on main', {}, me);
    const moved = await mergeIntoBase(repo, 'main', 'maestro/1-1-thing', base, 'Merge it', me);
    expect(moved.status).toBe('base_moved');
    const rebased = await rebaseOntoBase(worktree, 'main', me);
    expect(rebased.status).toBe('rebased');
    if (rebased.status !== 'rebased') return;
    const merged = await mergeIntoBase(repo, 'main', 'maestro/1-1-thing', rebased.baseSha, 'Merge it', me);
    expect(merged.status).toBe('merged');
  });

  test('a conflicting base lists the conflicts and leaves the branch as it was', async () => {
    const { repo, worktree } = await repository();
    writeFileSync(path.join(worktree, 'a.txt'), 'mine\n');
    const mine = await commitAll(worktree, 'work', {}, me);
    writeFileSync(path.join(repo, 'a.txt'), 'theirs\n');
    await commitAll(repo, 'meanwhile on main', {}, me);
    const rebased = await rebaseOntoBase(worktree, 'main', me);
    expect(rebased).toMatchObject({ status: 'conflicts', files: ['a.txt'] });
    expect(await revParse(worktree, 'HEAD')).toBe(mine);
    expect(await git(worktree, ['status', '--porcelain'])).toBe('');
  });

  test('paths left out of a merge keep the base version: a report the branch added is not merged, one it changed is put back', async () => {
    const { repo, worktree, base } = await repository();
    mkdirSync(path.join(repo, 'reports'), { recursive: true });
    writeFileSync(path.join(repo, 'reports', 'old.xml'), '<old/>\n');
    await commitAll(repo, 'a report committed long ago', {}, me);
    const baseNow = await revParse(repo, 'main');
    await git(worktree, ['reset', '--quiet', '--hard', baseNow]);
    writeFileSync(path.join(worktree, 'b.txt'), 'two\n');
    mkdirSync(path.join(worktree, 'test-results'), { recursive: true });
    writeFileSync(path.join(worktree, 'test-results', 'unit.xml'), '<testsuites/>\n');
    writeFileSync(path.join(worktree, 'reports', 'old.xml'), '<changed/>\n');
    await commitAll(worktree, 'work, and reports a test run wrote', {}, me);

    const result = await mergeIntoBase(repo, 'main', 'maestro/1-1-thing', baseNow, 'Merge it', me, [
      'test-results/unit.xml',
      'reports',
      'absent.xml',
    ]);
    expect(result).toMatchObject({ status: 'merged', leftOut: ['test-results/unit.xml', 'reports'] });
    const merged = await revParse(repo, 'main');
    expect((await git(repo, ['diff', '--name-only', `${merged}^1`, merged])).split('\n')).toEqual(['b.txt']);
    expect(readFileSync(path.join(repo, 'reports', 'old.xml'), 'utf8')).toBe('<old/>\n');
    expect(existsSync(path.join(repo, 'test-results', 'unit.xml'))).toBe(false);
    // The repository's own index is untouched: the checkout is clean.
    expect(await git(repo, ['status', '--porcelain'])).toBe('');
    expect(base).not.toBe(baseNow);
  });

  test('a report whose name has non-ASCII letters, quotes and a space is left out of the merge by its real name', async () => {
    const { repo, worktree, base } = await repository();
    const report = 'test-results/café "x" run.xml';
    mkdirSync(path.join(worktree, 'test-results'), { recursive: true });
    writeFileSync(path.join(worktree, report), '<testsuites/>\n');
    writeFileSync(path.join(worktree, 'b.txt'), 'two\n');
    await commitAll(worktree, 'work, and a report a test run wrote', {}, me);

    const result = await mergeIntoBase(repo, 'main', 'maestro/1-1-thing', base, 'Merge it', me, [report]);
    expect(result).toMatchObject({ status: 'merged', leftOut: [report] });
    const merged = await revParse(repo, 'main');
    // No quoted, escaped twin of the report got into the base branch either.
    expect(await git(repo, ['ls-tree', '-r', '-z', '--name-only', merged])).toBe('a.txt\0b.txt\0');
    expect(existsSync(path.join(repo, report))).toBe(false);
    expect(await git(repo, ['status', '--porcelain'])).toBe('');
  });

  test('a report with such a name that the base has is put back, not duplicated', async () => {
    const { repo, worktree } = await repository();
    const report = 'test-results/café "x" run.xml';
    mkdirSync(path.join(repo, 'test-results'), { recursive: true });
    writeFileSync(path.join(repo, report), '<old/>\n');
    await commitAll(repo, 'a report committed long ago', {}, me);
    const baseNow = await revParse(repo, 'main');
    await git(worktree, ['reset', '--quiet', '--hard', baseNow]);
    writeFileSync(path.join(worktree, report), '<new/>\n');
    writeFileSync(path.join(worktree, 'b.txt'), 'two\n');
    await commitAll(worktree, 'work, and a report a test run rewrote', {}, me);

    const result = await mergeIntoBase(repo, 'main', 'maestro/1-1-thing', baseNow, 'Merge it', me, [report]);
    expect(result).toMatchObject({ status: 'merged', leftOut: [report] });
    const merged = await revParse(repo, 'main');
    expect(await git(repo, ['ls-tree', '-r', '-z', '--name-only', merged])).toBe(`a.txt\0b.txt\0${report}\0`);
    expect(readFileSync(path.join(repo, report), 'utf8')).toBe('<old/>\n');
  });

  test('report paths written as ./x or x/ are left out all the same', async () => {
    const { repo, worktree, base } = await repository();
    mkdirSync(path.join(worktree, 'test-results', 'junit'), { recursive: true });
    writeFileSync(path.join(worktree, 'test-results', 'unit.xml'), '<testsuites/>\n');
    writeFileSync(path.join(worktree, 'test-results', 'junit', 'a.xml'), '<testsuites/>\n');
    writeFileSync(path.join(worktree, 'b.txt'), 'two\n');
    await commitAll(worktree, 'work, and reports', {}, me);
    const result = await mergeIntoBase(repo, 'main', 'maestro/1-1-thing', base, 'Merge it', me, [
      './test-results/unit.xml',
      'test-results/junit/',
    ]);
    expect(result).toMatchObject({ status: 'merged', leftOut: ['test-results/unit.xml', 'test-results/junit'] });
    expect(await git(repo, ['ls-tree', '-r', '--name-only', 'main'])).toBe('a.txt\nb.txt');
  });

  test('a tree whose left-out paths are as the base has them is kept as it is', async () => {
    const { repo, base } = await repository();
    const tree = await git(repo, ['rev-parse', `${base}^{tree}`]);
    expect(await keepBaseVersions(repo, tree, base, ['test-results/unit.xml', 'a.txt'])).toEqual({
      treeSha: tree,
      kept: [],
    });
  });

  test('a removed worktree leaves its branch, which the repository can check out again', async () => {
    const { repo, worktree } = await repository();
    writeFileSync(path.join(worktree, 'b.txt'), 'two\n');
    const work = await commitAll(worktree, 'work', {}, me);
    const blocked = await git(repo, ['checkout', '--quiet', 'maestro/1-1-thing']).catch(
      (error: Error) => error.message,
    );
    expect(blocked).toMatch(/already (checked out|used by worktree)/);
    await removeWorktree(repo, worktree);
    expect(existsSync(worktree)).toBe(false);
    expect(await listWorktrees(repo)).toEqual([repo]);
    expect(await revParse(repo, 'refs/heads/maestro/1-1-thing')).toBe(work);
    await git(repo, ['checkout', '--quiet', 'maestro/1-1-thing']);
    expect(readFileSync(path.join(repo, 'b.txt'), 'utf8')).toBe('two\n');
  });
});
