import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { DEFAULT_TERRITORIES } from '../domain/project.js';
import { TerritoryError, resolveForWrite, resolveInWorktree, territoryMatcher } from './territory.js';

function worktree(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'maestro-territory-'));
  mkdirSync(path.join(root, 'src'));
  mkdirSync(path.join(root, 'test'));
  mkdirSync(path.join(root, '.git'));
  writeFileSync(path.join(root, 'src', 'cart.js'), '');
  return root;
}

describe('territories', () => {
  test('testers write tests, developers everything else', () => {
    const tester = territoryMatcher(DEFAULT_TERRITORIES.tester);
    const developer = territoryMatcher(DEFAULT_TERRITORIES.developer);
    expect(tester('test/unit/cart.test.js')).toBe(true);
    expect(tester('src/cart.test.ts')).toBe(true);
    expect(tester('src/cart.js')).toBe(false);
    expect(developer('src/cart.js')).toBe(true);
    expect(developer('package.json')).toBe(true);
    expect(developer('test/unit/cart.test.js')).toBe(false);
    expect(developer('src/__tests__/cart.js')).toBe(false);
  });

  test('a write inside the worktree and the territory resolves to its absolute path', () => {
    const root = worktree();
    expect(resolveForWrite(root, 'src/new.js', 'developer', DEFAULT_TERRITORIES.developer)).toBe(
      path.join(root, 'src', 'new.js'),
    );
    expect(resolveForWrite(root, './test/deep/new.test.js', 'tester', DEFAULT_TERRITORIES.tester)).toBe(
      path.join(root, 'test', 'deep', 'new.test.js'),
    );
  });

  test('outside the territory is refused with the reason', () => {
    const root = worktree();
    expect(() => resolveForWrite(root, 'src/cart.js', 'tester', DEFAULT_TERRITORIES.tester)).toThrow(
      /src\/cart.js is outside the tester's territory/,
    );
    expect(() => resolveForWrite(root, 'test/cart.test.js', 'developer', DEFAULT_TERRITORIES.developer)).toThrow(
      TerritoryError,
    );
  });

  test('.. never escapes, absolute paths are refused, .git is off limits', () => {
    const root = worktree();
    expect(() => resolveForWrite(root, '../outside.js', 'developer', ['**'])).toThrow(/outside the repository/);
    expect(() => resolveForWrite(root, 'src/../../outside.js', 'developer', ['**'])).toThrow(/outside the repository/);
    expect(() => resolveForWrite(root, '/etc/passwd', 'developer', ['**'])).toThrow(/is absolute/);
    expect(() => resolveForWrite(root, '.git/config', 'developer', ['**'])).toThrow(/inside .git/);
    expect(() => resolveInWorktree(root, '')).toThrow(TerritoryError);
  });

  test('symbolic links are followed: one pointing outside is refused', () => {
    const root = worktree();
    const outside = mkdtempSync(path.join(os.tmpdir(), 'maestro-outside-'));
    symlinkSync(outside, path.join(root, 'src', 'escape'));
    symlinkSync(path.join(outside, 'target.js'), path.join(root, 'src', 'link.js'));
    expect(() => resolveForWrite(root, 'src/escape/evil.js', 'developer', ['**'])).toThrow(/symbolic link/);
    expect(() => resolveForWrite(root, 'src/link.js', 'developer', ['**'])).toThrow(/symbolic link/);
    // A link that stays inside is fine, and the territory is checked on where it really leads.
    symlinkSync(path.join(root, 'test'), path.join(root, 'src', 'tests-link'));
    expect(() => resolveForWrite(root, 'src/tests-link/x.test.js', 'developer', DEFAULT_TERRITORIES.developer)).toThrow(
      /territory/,
    );
  });
});
