import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import type { SuiteRun } from '../../domain/checks.js';
import type { ReusePolicy } from '../../domain/project.js';
import { sandboxSupport } from '../../runtime/sandbox.js';
import type { CommandSandbox } from './run-command.js';
import { forgetKeptRuns, forgetKeptRunsIfIgnored, keptRunsFolder, mayReuse } from './reusable-runs.js';
import { runSuites } from './suites.js';

const bwrap = sandboxSupport('required').bwrap ?? 'bwrap';
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'maestro-reuse-data-'));
const offline: CommandSandbox = { kind: 'bwrap', bwrap, dataDir, network: false };

/**
 * A committed repository whose test command counts its runs in an ignored file that is there before
 * the first run (as a dependency cache is, after the install and the baseline).
 */
async function repository(files: Record<string, string> = {}) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'maestro-reuse-'));
  const cwd = path.join(root, 'worktree');
  mkdirSync(cwd);
  const counter = path.join(cwd, '.runs', 'count');
  writeFileSync(
    path.join(cwd, 'check.mjs'),
    [
      "import { appendFileSync, existsSync, mkdirSync } from 'node:fs';",
      "mkdirSync('.runs', { recursive: true });",
      "appendFileSync('.runs/count', 'x');",
      "const failing = existsSync('FAIL');",
      "console.log(failing ? 'tests: 0 passed, 1 failed' : 'tests: 1 passed');",
      'process.exit(failing ? 1 : 0);',
    ].join('\n'),
  );
  writeFileSync(path.join(cwd, '.gitignore'), '.runs/\nignored/\n');
  mkdirSync(path.join(cwd, '.runs'));
  writeFileSync(counter, '');
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(cwd, name), text);
  await execa('git', ['init', '-q', '-b', 'main'], { cwd });
  await execa('git', ['add', '-A'], { cwd });
  await execa('git', ['-c', 'user.name=t', '-c', 'user.email=t@e', 'commit', '-qm', 'start'], { cwd });
  const logDir = path.join(root, 'logs');
  const run = (
    lookUp: boolean,
    source: string,
    options: { policy?: ReusePolicy; sandbox?: CommandSandbox; attempt?: string; command?: string } = {},
  ) =>
    runSuites({
      suites: [{ suite: 'unit', command: options.command ?? 'node check.mjs' }],
      cwd,
      logDir,
      label: source.replaceAll(' ', '-'),
      sandbox: options.sandbox ?? offline,
      reuse: {
        folder: keptRunsFolder(logDir),
        source,
        lookUp,
        policy: options.policy ?? 'offline',
        attempt: options.attempt,
      },
    });
  const runsMade = () => (existsSync(counter) ? readFileSync(counter, 'utf8').length : 0);
  return { cwd, run, runsMade };
}

const only = (runs: SuiteRun[]) => {
  expect(runs).toHaveLength(1);
  return runs[0]!;
};

describe('a check takes the result of an earlier run of the same command on the same files', () => {
  test("the agent's run is kept, and the check after it on the same tree does not run again", async () => {
    const repo = await repository();
    const agent = only(await repo.run(false, "the agent's run_tests"));
    expect(agent.reused).toBeUndefined();
    expect(repo.runsMade()).toBe(1);

    const check = only(await repo.run(true, 'the red check'));
    expect(repo.runsMade()).toBe(1);
    expect(check.reused?.source).toBe("the agent's run_tests");
    expect(Date.parse(check.reused!.ranAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(check).toMatchObject({ exitCode: 0, outcome: 'exited', command: 'node check.mjs', logFile: agent.logFile });
  });

  test('a failing result is reused within its attempt only: a retry runs the tests again', async () => {
    const repo = await repository({ FAIL: 'yes' });
    expect(only(await repo.run(false, 'run_tests', { attempt: 'green/1' })).exitCode).toBe(1);
    const check = only(await repo.run(true, 'check', { attempt: 'green/1' }));
    expect(check).toMatchObject({ exitCode: 1, reused: { source: 'run_tests' } });
    expect(repo.runsMade()).toBe(1);

    expect(only(await repo.run(true, 'the next attempt', { attempt: 'green/2' })).reused).toBeUndefined();
    expect(only(await repo.run(true, "a rebase's verification")).reused).toBeUndefined();
    expect(repo.runsMade()).toBe(3);
  });

  test('a kept run that cannot be read is run again; an agent writing a file forgets every kept run', async () => {
    const repo = await repository();
    await repo.run(false, 'first');
    const folder = keptRunsFolder(path.join(repo.cwd, '..', 'logs'));
    for (const file of readdirSync(folder)) writeFileSync(path.join(folder, file), '{"torn');
    expect(only(await repo.run(true, 'after a torn file')).reused).toBeUndefined();
    expect(only(await repo.run(true, 'kept again')).reused?.source).toBe('after a torn file');
    // A write the tree sees keeps them; a write into an ignored folder, which the key may miss, forgets them.
    forgetKeptRunsIfIgnored(folder, repo.cwd, 'check.mjs');
    expect(only(await repo.run(true, 'after a tracked write')).reused?.source).toBe('after a torn file');
    forgetKeptRunsIfIgnored(folder, repo.cwd, 'ignored/deep/dependency.js');
    expect(only(await repo.run(true, 'after an ignored write')).reused).toBeUndefined();
    forgetKeptRuns(folder);
    expect(only(await repo.run(true, 'after forgetting')).reused).toBeUndefined();
    expect(repo.runsMade()).toBe(4);
  });

  test('a changed tracked file, a new untracked file or a new ignored file runs the tests again', async () => {
    const repo = await repository();
    await repo.run(false, 'first');

    writeFileSync(
      path.join(repo.cwd, 'check.mjs'),
      readFileSync(path.join(repo.cwd, 'check.mjs'), 'utf8') + '\n// edited',
    );
    expect(only(await repo.run(true, 'after an edit')).reused).toBeUndefined();
    expect(repo.runsMade()).toBe(2);

    writeFileSync(path.join(repo.cwd, 'FAIL'), 'untracked');
    const untracked = only(await repo.run(true, 'after an untracked file'));
    expect(untracked).toMatchObject({ exitCode: 1 });
    expect(untracked.reused).toBeUndefined();
    expect(repo.runsMade()).toBe(3);

    mkdirSync(path.join(repo.cwd, 'ignored'));
    writeFileSync(path.join(repo.cwd, 'ignored', 'dependency.js'), 'module.exports = 1;');
    expect(only(await repo.run(true, 'after an ignored file', { attempt: 'green/1' })).reused).toBeUndefined();
    expect(repo.runsMade()).toBe(4);

    // Nothing changed since: now it is reused (a failure, in the same attempt), from the latest run.
    expect(only(await repo.run(true, 'again', { attempt: 'green/1' })).reused?.source).toBe('after an ignored file');
    expect(repo.runsMade()).toBe(4);
  });

  test('a run that changes a file it reads is not kept', async () => {
    const repo = await repository();
    writeFileSync(
      path.join(repo.cwd, 'check.mjs'),
      readFileSync(path.join(repo.cwd, 'check.mjs'), 'utf8').replace(
        'const failing',
        "appendFileSync('notes.txt', 'seen\\n');\nconst failing",
      ),
    );
    await repo.run(false, 'writes notes');
    expect(only(await repo.run(true, 'check')).reused).toBeUndefined();
    expect(repo.runsMade()).toBe(2);
  });

  test('never with the policy never, and not with the network on unless the policy is always', async () => {
    const repo = await repository();
    await repo.run(false, 'first', { policy: 'never' });
    expect(only(await repo.run(true, 'check', { policy: 'never' })).reused).toBeUndefined();
    expect(repo.runsMade()).toBe(2);

    const online: CommandSandbox = { ...offline, network: true } as CommandSandbox;
    expect(mayReuse('offline', online)).toBe(false);
    expect(mayReuse('offline', { kind: 'none', reason: 'no bubblewrap' })).toBe(false);
    expect(mayReuse('always', { kind: 'none', reason: 'no bubblewrap' })).toBe(true);
    await repo.run(false, 'online', { sandbox: online });
    expect(only(await repo.run(true, 'online check', { sandbox: online })).reused).toBeUndefined();
    expect(repo.runsMade()).toBe(4);

    await repo.run(false, 'always', { sandbox: online, policy: 'always' });
    expect(only(await repo.run(true, 'always check', { sandbox: online, policy: 'always' })).reused?.source).toBe(
      'always',
    );
    expect(repo.runsMade()).toBe(5);
  });

  test('a command that did not run to its end is not kept', async () => {
    const repo = await repository();
    const missing = { command: 'no-such-program --run' };
    const runs = await repo.run(true, 'missing', missing);
    expect(only(runs).outcome).toBe('failed_to_start');
    const again = await repo.run(true, 'again', missing);
    expect(only(again).reused).toBeUndefined();
    expect(only(again).outcome).toBe('failed_to_start');
  });
});
