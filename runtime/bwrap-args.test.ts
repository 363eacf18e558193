import { describe, expect, test } from 'vitest';
import { type SandboxPlan, bwrapArgs, isInside } from './bwrap-args.js';

const plan: SandboxPlan = {
  worktree: '/data/worktrees/shop/3-1',
  cwd: '/data/worktrees/shop/3-1',
  tmpDir: '/tmp/maestro-sandbox-abc',
  hiddenDirs: ['/data', '/home/me/.ssh'],
  hiddenFiles: ['/home/me/.npmrc', '/run/docker.sock'],
  git: { commonDir: '/data/repos/shop/.git', adminDir: '/data/repos/shop/.git/worktrees/3-1' },
  dotGit: '/data/worktrees/shop/3-1/.git',
  cacheDir: '/data/cache/shop',
  network: false,
};

/** The mounts in order, as [option, ...paths]. */
function mounts(args: string[]): string[][] {
  const result: string[][] = [];
  for (let index = 0; index < args.length; index++) {
    const option = args[index]!;
    if (option === '--') break;
    if (['--ro-bind', '--bind'].includes(option)) result.push(args.slice(index, (index += 2) + 1));
    else if (['--tmpfs', '--dev', '--proc'].includes(option)) result.push(args.slice(index, (index += 1) + 1));
  }
  return result;
}

describe('bwrapArgs', () => {
  test('a read-only root, a private /tmp, the data folder and secrets hidden, the worktree writable last', () => {
    expect(mounts(bwrapArgs(plan, ['npm', 'test']))).toEqual([
      ['--ro-bind', '/', '/'],
      ['--dev', '/dev'],
      ['--proc', '/proc'],
      ['--bind', '/tmp/maestro-sandbox-abc', '/tmp'],
      ['--tmpfs', '/data'],
      ['--tmpfs', '/home/me/.ssh'],
      ['--ro-bind', '/dev/null', '/home/me/.npmrc'],
      ['--ro-bind', '/dev/null', '/run/docker.sock'],
      // git works in the worktree: the repository's git folder read-only, the other worktrees' hidden
      ['--ro-bind', '/data/repos/shop/.git', '/data/repos/shop/.git'],
      ['--tmpfs', '/data/repos/shop/.git/worktrees'],
      // …and this worktree's own too: Maestro's unsandboxed git reads its config
      ['--ro-bind', '/data/repos/shop/.git/worktrees/3-1', '/data/repos/shop/.git/worktrees/3-1'],
      ['--bind', '/data/worktrees/shop/3-1', '/data/worktrees/shop/3-1'],
      // the worktree's .git cannot be pointed elsewhere
      ['--ro-bind', '/data/worktrees/shop/3-1/.git', '/data/worktrees/shop/3-1/.git'],
      // the project's cache, inside the hidden data folder, mounted after it
      ['--bind', '/data/cache/shop', '/data/cache/shop'],
    ]);
  });

  test('its own namespaces, no network, no capabilities, killed with its parent; the command last, as given', () => {
    const args = bwrapArgs(plan, ['node', '--test', 'a b.js']);
    for (const flag of ['--unshare-pid', '--unshare-net', '--die-with-parent', '--unshare-ipc', '--unshare-uts'])
      expect(args).toContain(flag);
    expect(args.slice(args.indexOf('--cap-drop'), args.indexOf('--cap-drop') + 2)).toEqual(['--cap-drop', 'ALL']);
    expect(args.slice(args.indexOf('--chdir'), args.indexOf('--chdir') + 2)).toEqual(['--chdir', plan.cwd]);
    expect(args.slice(args.indexOf('--'))).toEqual(['--', 'node', '--test', 'a b.js']);
  });

  test('the network only when the plan allows it', () => {
    expect(bwrapArgs({ ...plan, network: true }, ['npm', 'ci'])).not.toContain('--unshare-net');
  });

  test('a hidden folder inside the worktree is covered after the worktree is mounted', () => {
    const selfHosted = {
      ...plan,
      worktree: '/src/maestro',
      cwd: '/src/maestro',
      hiddenDirs: ['/src/maestro/.maestro/data'],
    };
    const order = mounts(bwrapArgs(selfHosted, ['npm', 'test']));
    const worktreeAt = order.findIndex((mount) => mount[0] === '--bind' && mount[1] === '/src/maestro');
    const hiddenAt = order.findIndex((mount) => mount[1] === '/src/maestro/.maestro/data');
    expect(worktreeAt).toBeGreaterThan(0);
    expect(hiddenAt).toBeGreaterThan(worktreeAt);
  });

  test('a worktree that is not a linked one gets no git mounts', () => {
    const args = bwrapArgs({ ...plan, git: undefined, dotGit: undefined }, ['npm', 'test']);
    expect(args.join(' ')).not.toContain('.git');
  });

  test('the cache folder is mounted after a hidden data folder inside the worktree', () => {
    const selfHosted = {
      ...plan,
      worktree: '/src/maestro',
      cwd: '/src/maestro',
      hiddenDirs: ['/src/maestro/.maestro/data'],
      cacheDir: '/src/maestro/.maestro/data/cache/shop',
    };
    const order = mounts(bwrapArgs(selfHosted, ['npm', 'test']));
    const hiddenAt = order.findIndex((mount) => mount[1] === '/src/maestro/.maestro/data');
    const cacheAt = order.findIndex((mount) => mount[1] === '/src/maestro/.maestro/data/cache/shop');
    expect(cacheAt).toBeGreaterThan(hiddenAt);
  });

  test("Maestro's installation stays visible read-only where it lies under /tmp, before the data folder inside it is hidden", () => {
    const inTmp = { ...plan, installDir: '/tmp/checkout', hiddenDirs: ['/tmp/checkout/.maestro/data'] };
    expect(mounts(bwrapArgs(inTmp, ['npm', 'test'])).slice(3, 6)).toEqual([
      ['--bind', '/tmp/maestro-sandbox-abc', '/tmp'],
      ['--ro-bind', '/tmp/checkout', '/tmp/checkout'],
      ['--tmpfs', '/tmp/checkout/.maestro/data'],
    ]);
    // Anywhere else the read-only root shows it already.
    const elsewhere = mounts(bwrapArgs({ ...plan, installDir: '/opt/maestro' }, ['npm', 'test']));
    expect(elsewhere.some((mount) => mount.includes('/opt/maestro'))).toBe(false);
  });

  test('isInside compares whole path segments', () => {
    expect(isInside('/data/worktrees', '/data')).toBe(true);
    expect(isInside('/data', '/data/')).toBe(true);
    expect(isInside('/database', '/data')).toBe(false);
  });
});
