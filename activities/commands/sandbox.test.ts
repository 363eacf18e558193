import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { commitAll, ensureWorktree, git, worktreeChanges } from '../../git/git.js';
import { prepareSandbox, sandboxSupport } from '../../runtime/sandbox.js';
import { type CommandSandbox, runCommand } from './run-command.js';

/**
 * A hostile "test file", run as a project's test command: it tries to write outside its worktree,
 * read another worktree and Maestro's data folder, open a network connection and leave a daemon
 * behind, and reports what it managed. It also checks what a test legitimately needs: its worktree,
 * a temporary folder and git.
 */
const HOSTILE_TEST = String.raw`
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const { spawn, execFileSync } = require('node:child_process');
const targets = JSON.parse(process.argv[2]);
const attempt = (fn) => { try { return { ok: true, value: fn() }; } catch (error) { return { ok: false, error: error.code || error.message }; } };
(async () => {
  const report = {};
  report.writeOutside = targets.outside.map((file) => attempt(() => {
    fs.mkdirSync(require('node:path').dirname(file), { recursive: true });
    fs.writeFileSync(file, 'escaped');
  }));
  report.readOtherWorktree = targets.otherWorktree.map((file) => attempt(() => fs.readFileSync(file, 'utf8')));
  report.readDataFolder = targets.dataFolder.map((file) => attempt(() => fs.readFileSync(file, 'utf8')));
  report.network = await new Promise((resolve) => {
    const socket = net.connect(targets.port, '127.0.0.1');
    socket.setTimeout(3000);
    socket.on('connect', () => { socket.end('hello from the sandbox'); resolve({ ok: true }); });
    socket.on('error', (error) => resolve({ ok: false, error: error.code }));
    socket.on('timeout', () => { socket.destroy(); resolve({ ok: false, error: 'timeout' }); });
  });
  // A daemon: its own session, so it leaves the command's process group, and no pipes held open.
  const daemon = spawn('sleep', [targets.daemonSleep], { detached: true, stdio: 'ignore' });
  daemon.unref();
  report.daemonPid = daemon.pid;
  report.writeWorktree = attempt(() => fs.writeFileSync('written-by-the-test.txt', 'fine'));
  report.tmp = attempt(() => { const file = os.tmpdir() + '/scratch.txt'; fs.writeFileSync(file, 'fine'); return file; });
  report.git = attempt(() => execFileSync('git', ['log', '-1', '--format=%s'], { encoding: 'utf8' }).trim());
  report.gitStatus = attempt(() => execFileSync('git', ['status', '--porcelain'], { encoding: 'utf8' }));
  report.env = { TMPDIR: process.env.TMPDIR, HOME: process.env.HOME };
  console.log('REPORT ' + JSON.stringify(report));
})();
`;

/**
 * A hostile test aimed at Maestro's own git, which runs unsandboxed in the worktree after the
 * command: it points the worktree's `.git` at a git folder of its making whose config names a
 * file-system monitor (its own script, which `git status` would start), sets one in the
 * repository's config and the worktree's, redirects the worktree's `commondir`, and plants a hook.
 * The script leaves a marker outside the sandbox when it runs.
 */
const GIT_HOSTILE_TEST = String.raw`
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const targets = JSON.parse(process.argv[2]);
const attempt = (fn) => { try { fn(); return { ok: true }; } catch (error) { return { ok: false, error: error.code || error.message.split('\n')[0] }; } };
const evil = path.resolve('.evil');
const script = path.join(evil, 'fsmonitor.sh');
const report = {};
report.evilDir = attempt(() => {
  execFileSync('git', ['init', '--quiet', '--bare', evil]);
  execFileSync('git', ['config', '-f', path.join(evil, 'config'), 'core.bare', 'false']);
  execFileSync('git', ['config', '-f', path.join(evil, 'config'), 'core.fsmonitor', script]);
  fs.writeFileSync(script, '#!/bin/sh\ntouch ' + targets.marker + '\n', { mode: 0o755 });
});
report.removeDotGit = attempt(() => fs.renameSync('.git', '.git-moved'));
report.rewriteDotGit = attempt(() => fs.writeFileSync('.git', 'gitdir: ' + evil + '\n'));
report.commondir = attempt(() => fs.writeFileSync(path.join(targets.adminDir, 'commondir'), evil + '\n'));
report.worktreeConfig = attempt(() => fs.writeFileSync(path.join(targets.adminDir, 'config.worktree'), '[core]\n\tfsmonitor = ' + script + '\n'));
report.hook = attempt(() => {
  fs.mkdirSync(path.join(targets.commonDir, 'hooks'), { recursive: true });
  fs.writeFileSync(path.join(targets.commonDir, 'hooks', 'post-commit'), '#!/bin/sh\ntouch ' + targets.marker + '\n', { mode: 0o755 });
});
report.config = attempt(() => execFileSync('git', ['config', 'core.fsmonitor', script], { stdio: 'pipe' }));
console.log('REPORT ' + JSON.stringify(report));
`;

interface Attempt {
  ok: boolean;
  value?: unknown;
  error?: string;
}
interface Report {
  writeOutside: Attempt[];
  readOtherWorktree: Attempt[];
  readDataFolder: Attempt[];
  network: Attempt;
  daemonPid: number;
  writeWorktree: Attempt;
  tmp: Attempt;
  git: Attempt;
  gitStatus: Attempt;
  env: { TMPDIR?: string; HOME?: string };
}

/** The processes on the whole machine (any PID namespace) whose command line has this marker (starts with it: `^…`). */
function processesWith(marker: string): string[] {
  const matches = marker.startsWith('^')
    ? (line: string) => line.startsWith(marker.slice(1))
    : (line: string) => line.includes(marker);
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((pid) => {
      try {
        const line = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const zombie = stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
        return matches(line) && !zombie ? [`${pid}: ${line.trim()}`] : [];
      } catch {
        return [];
      }
    });
}

const support = sandboxSupport('required');
const root = mkdtempSync(path.join(os.tmpdir(), 'maestro-sandbox-test-'));
const dataDir = path.join(root, 'data');
const repo = path.join(dataDir, 'repos', 'shop');
const worktree = path.join(dataDir, 'worktrees', 'shop', 'a');
const otherWorktree = path.join(dataDir, 'worktrees', 'shop', 'b');
/** A repository whose .git is a folder (not a linked worktree), outside the data folder. */
const standalone = path.join(root, 'standalone');
const tmpRoot = path.join(root, 'tmp');
const marker = randomBytes(4).toString('hex');
/** Outside any worktree: next to them (under the system's /tmp) and in this checkout (on the read-only root). */
const outsideFiles = [
  path.join(root, 'outside', `escaped-${marker}.txt`),
  path.join(process.cwd(), `escaped-${marker}.txt`),
];
const connections: string[] = [];
let server: net.Server;
let port: number;

beforeAll(async () => {
  mkdirSync(tmpRoot, { recursive: true });
  mkdirSync(repo, { recursive: true });
  writeFileSync(path.join(dataDir, 'postgres-credentials.json'), '{"password":"DATA-FOLDER-SECRET"}');
  await git(repo, ['init', '--quiet', '-b', 'main']);
  writeFileSync(path.join(repo, 'README.md'), '# shop\n');
  writeFileSync(path.join(repo, 'hostile.test.js'), HOSTILE_TEST);
  await commitAll(repo, 'the shop, with a hostile test', {}, { name: 'Maestro', email: 'maestro@example.com' });
  await ensureWorktree(repo, worktree, 'maestro/a', 'main');
  await ensureWorktree(repo, otherWorktree, 'maestro/b', 'main');
  writeFileSync(path.join(otherWorktree, 'work-in-progress.txt'), 'OTHER-WORKTREE-SECRET');
  mkdirSync(standalone);
  await git(standalone, ['init', '--quiet', '-b', 'main']);
  await commitAll(standalone, 'a repository of its own', {}, { name: 'Maestro', email: 'maestro@example.com' });
  server = net.createServer((socket) => socket.on('data', (data) => connections.push(String(data))));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  for (const file of outsideFiles) rmSync(file, { force: true });
  rmSync(root, { recursive: true, force: true });
});

async function runHostileTest(sandbox: CommandSandbox, daemonSleep: string): Promise<Report> {
  const targets = {
    outside: outsideFiles,
    otherWorktree: [
      path.join(otherWorktree, 'work-in-progress.txt'),
      path.join(repo, '.git', 'worktrees', 'b', 'HEAD'),
      path.join(repo, 'README.md'),
    ],
    dataFolder: [path.join(dataDir, 'postgres-credentials.json')],
    port,
    daemonSleep,
  };
  const result = await runCommand({
    command: `node hostile.test.js '${JSON.stringify(targets)}'`,
    cwd: worktree,
    logFile: path.join(root, 'logs', `${marker}-${daemonSleep}.log`),
    sandbox,
  });
  expect(result, result.outputTail).toMatchObject({ outcome: 'exited', exitCode: 0 });
  const line = result.outputTail.split('\n').find((entry) => entry.startsWith('REPORT '));
  expect(line, result.outputTail).toBeDefined();
  return JSON.parse(line!.slice('REPORT '.length)) as Report;
}

/** Runs the git-hostile test in `cwd`, then what Maestro does there unsandboxed: git status, a commit. */
async function runGitHostileTest(
  sandbox: CommandSandbox,
  cwd: string,
  gitDirs: { adminDir: string; commonDir: string },
  gitMarker: string,
): Promise<Record<string, Attempt>> {
  // The marker's folder exists, so the planted script, if it ran, would leave it.
  mkdirSync(path.dirname(gitMarker), { recursive: true });
  writeFileSync(path.join(cwd, 'git-hostile.test.js'), GIT_HOSTILE_TEST);
  const result = await runCommand({
    command: `node git-hostile.test.js '${JSON.stringify({ marker: gitMarker, ...gitDirs })}'`,
    cwd,
    logFile: path.join(root, 'logs', `git-${marker}.log`),
    sandbox,
  });
  expect(result, result.outputTail).toMatchObject({ outcome: 'exited', exitCode: 0 });
  const line = result.outputTail.split('\n').find((entry) => entry.startsWith('REPORT '));
  expect(line, result.outputTail).toBeDefined();
  return JSON.parse(line!.slice('REPORT '.length)) as Record<string, Attempt>;
}

/** The files of git's that Maestro's own git reads in `cwd`, as they are now. */
function gitState(cwd: string, adminDir: string, commonDir: string): Record<string, string | undefined> {
  const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : undefined);
  return {
    dotGit: statSync(path.join(cwd, '.git')).isFile() ? read(path.join(cwd, '.git')) : 'a folder',
    commondir: read(path.join(adminDir, 'commondir')),
    worktreeConfig: read(path.join(adminDir, 'config.worktree')),
    config: read(path.join(commonDir, 'config')),
    hook: read(path.join(commonDir, 'hooks', 'post-commit')),
  };
}

const uniqueSleep = () => `300.${randomBytes(4).readUInt32BE(0)}`;

describe('a hostile test run in the sandbox', () => {
  test('bubblewrap works here', () => {
    expect(support, support.summary).toMatchObject({ commands: 'bwrap' });
  });

  test('cannot write outside its worktree, read another worktree or the data folder, reach the network, or leave a daemon', async () => {
    const daemonSleep = uniqueSleep();
    const report = await runHostileTest(
      { kind: 'bwrap', bwrap: support.bwrap!, dataDir, network: false, tmpRoot },
      daemonSleep,
    );
    const escapes = {
      // (a) nothing written outside the worktree reached the machine's file system
      writeOutside: outsideFiles.filter((file) => existsSync(file)),
      // (b) the other worktree's files and its git folder are not there to read
      readOtherWorktree: report.readOtherWorktree.filter((entry) => entry.ok),
      // (c) nor is the data folder
      readDataFolder: report.readDataFolder.filter((entry) => entry.ok),
      // (d) no connection reached the server on the machine's loopback
      network: report.network.ok || connections.length > 0 ? [report.network, ...connections] : [],
      // (e) the daemon died with the command
      daemon: processesWith(`sleep ${daemonSleep}`),
    };
    expect(escapes).toEqual({ writeOutside: [], readOtherWorktree: [], readDataFolder: [], network: [], daemon: [] });
    // Refused, not merely missed: the root is read-only.
    expect(report.writeOutside[1]).toMatchObject({ ok: false, error: 'EROFS' });
    expect(report.network).toMatchObject({ ok: false, error: 'ECONNREFUSED' });

    // What a test needs still works: its worktree, a private temporary folder, git.
    expect(readFileSync(path.join(worktree, 'written-by-the-test.txt'), 'utf8')).toBe('fine');
    expect(report.tmp).toMatchObject({ ok: true, value: '/tmp/scratch.txt' });
    expect(report.env).toEqual({ TMPDIR: '/tmp', HOME: '/tmp' });
    expect(report.git).toMatchObject({ ok: true, value: 'the shop, with a hostile test' });
    expect(report.gitStatus.ok, JSON.stringify(report.gitStatus)).toBe(true);
    // …and the temporary folder is gone afterwards.
    expect(readdirSync(tmpRoot)).toEqual([]);
  });

  test('the network is there when the project allows it', async () => {
    const before = connections.length;
    const report = await runHostileTest(
      { kind: 'bwrap', bwrap: support.bwrap!, dataDir, network: true, tmpRoot },
      uniqueSleep(),
    );
    expect(report.network).toMatchObject({ ok: true });
    await expect.poll(() => connections.length).toBe(before + 1);
    expect(outsideFiles.filter((file) => existsSync(file))).toEqual([]);
  });

  test('killed with its parent: a worker that dies takes the sandbox and all in it along', async () => {
    const daemonSleep = uniqueSleep();
    const sandbox = prepareSandbox({
      bwrap: support.bwrap!,
      cwd: worktree,
      dataDir,
      network: false,
      command: ['sh', '-c', `sleep ${daemonSleep} & sleep ${daemonSleep}`],
      tmpRoot,
    });
    // A stand-in for the worker: it starts the sandbox in a process group of its own, as runCommand does.
    const worker = spawn(
      process.execPath,
      [
        '-e',
        `require('node:child_process').spawn(${JSON.stringify(sandbox.file)}, ${JSON.stringify(sandbox.args)}, { stdio: 'ignore', detached: true }); setInterval(() => {}, 1000);`,
      ],
      { stdio: 'ignore' },
    );
    try {
      await expect.poll(() => processesWith(`^sleep ${daemonSleep}`).length, { timeout: 10_000 }).toBe(2);
      worker.kill('SIGKILL');
      await expect.poll(() => processesWith(`sleep ${daemonSleep}`), { timeout: 5_000 }).toEqual([]);
      expect(processesWith(sandbox.plan.tmpDir)).toEqual([]);
    } finally {
      worker.kill('SIGKILL');
      sandbox.cleanup();
    }
  });

  test.each([
    [
      'a linked worktree',
      () => ({
        cwd: worktree,
        adminDir: path.join(repo, '.git', 'worktrees', 'a'),
        commonDir: path.join(repo, '.git'),
      }),
    ],
    [
      'a repository of its own (its whole .git)',
      () => ({ cwd: standalone, adminDir: path.join(standalone, '.git'), commonDir: path.join(standalone, '.git') }),
    ],
  ])(
    "in %s, cannot make Maestro's own git run its code: .git, its config and hooks are read-only",
    async (_, where) => {
      const { cwd, adminDir, commonDir } = where();
      const gitMarker = path.join(root, 'outside', `git-ran-${randomBytes(4).toString('hex')}`);
      const before = gitState(cwd, adminDir, commonDir);
      const report = await runGitHostileTest(
        { kind: 'bwrap', bwrap: support.bwrap!, dataDir, network: false, tmpRoot },
        cwd,
        { adminDir, commonDir },
        gitMarker,
      );
      // Its own folder it may make; git's files it may not touch.
      expect(report.evilDir).toMatchObject({ ok: true });
      expect(report.removeDotGit).toMatchObject({ ok: false });
      expect(report.rewriteDotGit).toMatchObject({ ok: false });
      for (const key of ['commondir', 'worktreeConfig', 'hook', 'config'])
        expect(report[key], `${key}: ${JSON.stringify(report[key])}`).toMatchObject({ ok: false });
      expect(gitState(cwd, adminDir, commonDir)).toEqual(before);
      // What Maestro does next in the worktree, unsandboxed, runs nothing of the command's.
      await worktreeChanges(cwd);
      await commitAll(cwd, 'after the hostile test', {}, { name: 'Maestro', email: 'maestro@example.com' });
      expect(existsSync(gitMarker)).toBe(false);
    },
  );

  test("unsandboxed, the git attack works on plain git (so the checks above can fail), and Maestro's git still runs none of it", async () => {
    const controlWorktree = path.join(dataDir, 'worktrees', 'shop', 'c');
    await ensureWorktree(repo, controlWorktree, 'maestro/c', 'main');
    const adminDir = path.join(repo, '.git', 'worktrees', 'c');
    const commonDir = path.join(repo, '.git');
    const gitMarker = path.join(root, 'outside', `git-ran-${randomBytes(4).toString('hex')}`);
    const hook = path.join(commonDir, 'hooks', 'post-commit');
    try {
      const report = await runGitHostileTest(
        { kind: 'none', reason: 'the control run' },
        controlWorktree,
        { adminDir, commonDir },
        gitMarker,
      );
      expect(report).toMatchObject({ rewriteDotGit: { ok: true }, hook: { ok: true } });
      // Git as anyone would run it starts the planted monitor…
      execFileSync('git', ['status', '--porcelain'], { cwd: controlWorktree, stdio: 'ignore' });
      expect(existsSync(gitMarker)).toBe(true);
      rmSync(gitMarker);
      // …Maestro's own git does not, nor the planted hook.
      await worktreeChanges(controlWorktree);
      await commitAll(controlWorktree, 'after the hostile test', {}, { name: 'Maestro', email: 'maestro@example.com' });
      expect(existsSync(gitMarker)).toBe(false);
    } finally {
      rmSync(hook, { force: true });
      rmSync(path.join(adminDir, 'config.worktree'), { force: true });
    }
  });

  test("a project's cache folder is its commands' HOME, kept from one to the next; another project's is not there", async () => {
    const value = randomBytes(6).toString('hex');
    const cacheOf = (project: string) => path.join(dataDir, 'cache', project);
    const run = async (project: string, script: string) => {
      const result = await runCommand({
        command: `node -e '${script}'`,
        cwd: worktree,
        logFile: path.join(root, 'logs', `cache-${marker}.log`),
        sandbox: { kind: 'bwrap', bwrap: support.bwrap!, dataDir, network: false, tmpRoot, cacheDir: cacheOf(project) },
      });
      expect(result, result.outputTail).toMatchObject({ outcome: 'exited', exitCode: 0 });
      return result.outputTail.trim().split('\n').at(-1);
    };
    const write = `const fs = require("node:fs"); fs.mkdirSync(process.env.HOME + "/.m2", { recursive: true }); fs.writeFileSync(process.env.HOME + "/.m2/value", "${value}"); console.log(process.env.HOME, process.env.XDG_CACHE_HOME, process.env.TMPDIR)`;
    const read = `const fs = require("node:fs"); let text; try { text = fs.readFileSync(process.env.HOME + "/.m2/value", "utf8"); } catch (error) { text = error.code; } console.log(text)`;
    const readOther = `const fs = require("node:fs"); let text; try { text = fs.readFileSync(${JSON.stringify(cacheOf('shop'))} + "/.m2/value", "utf8"); } catch (error) { text = error.code; } console.log(text)`;
    const cache = realpathSync(dataDir) + '/cache/shop';
    expect(await run('shop', write)).toBe(`${cache} ${cache}/.cache /tmp`);
    expect(await run('shop', read)).toBe(value);
    // Another project: its own (empty) HOME, and the first one's folder is hidden with the data folder.
    expect(await run('garden', read)).toBe('ENOENT');
    expect(await run('garden', readOther)).toBe('ENOENT');
    expect(readFileSync(path.join(cacheOf('shop'), '.m2', 'value'), 'utf8')).toBe(value);
  });

  test("cannot read Maestro's config file (the database's password), ~/.gitconfig or a shell history", async () => {
    // Where Maestro reads it: its working folder (this checkout), on the read-only root, outside /tmp.
    const configFile = path.join(process.cwd(), `maestro-${marker}.config.json`);
    writeFileSync(configFile, '{"database":{"url":"postgres://maestro:CONFIG-SECRET@db/maestro"}}');
    const inWorktree = path.join(worktree, 'maestro.config.json');
    writeFileSync(inWorktree, '{"database":{"url":"postgres://maestro:WORKTREE-CONFIG-SECRET@db/maestro"}}');
    const homeFiles = ['.gitconfig', '.bash_history']
      .map((file) => path.join(os.homedir(), file))
      .filter((file) => existsSync(file));
    const files = [configFile, inWorktree, ...homeFiles];
    const script = `const fs = require("node:fs"); console.log(JSON.stringify(${JSON.stringify(files)}.map((file) => { try { return fs.readFileSync(file, "utf8"); } catch (error) { return error.code; } })))`;
    const run = async (hiddenFiles: string[]) => {
      const result = await runCommand({
        command: `node -e '${script}'`,
        cwd: worktree,
        logFile: path.join(root, 'logs', `config-${marker}.log`),
        sandbox: { kind: 'bwrap', bwrap: support.bwrap!, dataDir, network: false, tmpRoot, hiddenFiles },
      });
      expect(result, result.outputTail).toMatchObject({ outcome: 'exited', exitCode: 0 });
      return JSON.parse(result.outputTail.trim().split('\n').at(-1)!) as string[];
    };
    try {
      // Hidden: /dev/null where each was (a device on a mount that refuses devices: EACCES).
      expect(await run([configFile, inWorktree])).toEqual(files.map(() => 'EACCES'));
      // Without saying so, the config file would be there to read (so the check above can fail).
      expect((await run([]))[0]).toContain('CONFIG-SECRET');
    } finally {
      rmSync(inWorktree, { force: true });
      rmSync(configFile, { force: true });
    }
  });

  test('unsandboxed, the same test escapes every way (so the checks above can fail)', async () => {
    const daemonSleep = uniqueSleep();
    const before = connections.length;
    const report = await runHostileTest({ kind: 'none', reason: 'the control run' }, daemonSleep);
    try {
      expect(outsideFiles.filter((file) => existsSync(file))).toEqual(outsideFiles);
      expect(report.readOtherWorktree[0]).toMatchObject({ ok: true, value: 'OTHER-WORKTREE-SECRET' });
      expect(report.readDataFolder[0]).toMatchObject({ ok: true });
      expect(report.network).toMatchObject({ ok: true });
      await expect.poll(() => connections.length).toBe(before + 1);
      expect(processesWith(`sleep ${daemonSleep}`)).toHaveLength(1);
    } finally {
      for (const file of outsideFiles) rmSync(file, { force: true });
      try {
        process.kill(report.daemonPid, 'SIGKILL');
      } catch {
        // it is gone already
      }
    }
  });
});
