import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { commandEnvironment } from '../../domain/command-environment.js';
import { sandboxSupport } from '../../runtime/sandbox.js';
import { type CommandSandbox, runCommand } from './run-command.js';

const logFile = () => path.join(mkdtempSync(path.join(os.tmpdir(), 'maestro-command-')), 'command.log');

/** The processes (on the whole machine, any PID namespace) whose command line has this marker. */
function processesWith(marker: string): string[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid)
    .flatMap((pid) => {
      try {
        const line = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
        const zombie = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z');
        return line.includes(marker) && !zombie ? [`${pid}: ${line}`] : [];
      } catch {
        return [];
      }
    });
}

/** A package with these scripts, and check.js: it prints its arguments and npm's variables, then exits 3. */
function npmPackage(scripts: Record<string, string>): string {
  const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'maestro-command-npm-')));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'probe', version: '1.0.0', scripts }));
  writeFileSync(
    path.join(dir, 'check.js'),
    [
      "console.log('argv=' + JSON.stringify(process.argv.slice(2)));",
      'const { npm_lifecycle_event, npm_command, INIT_CWD, npm_package_name } = process.env;',
      "console.log('npm=' + JSON.stringify({ npm_lifecycle_event, npm_command, INIT_CWD, npm_package_name }));",
      "console.log('cwd=' + process.cwd());",
      'process.exitCode = 3;',
    ].join('\n'),
  );
  writeFileSync(path.join(dir, 'kill.js'), "process.kill(process.pid, 'SIGKILL');");
  return dir;
}

/** What check.js printed. */
const checkLines = (output: string) => output.split('\n').filter((line) => /^(argv|npm|cwd)=/.test(line));

/** A `sleep` no other process runs: 300 s and a random fraction. */
const uniqueSleep = () => `300.${randomBytes(4).readUInt32BE(0)}`;

const support = sandboxSupport('required');
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'maestro-command-data-'));
// Every behaviour holds in the sandbox (the default wherever bubblewrap works) and without it.
const sandboxes: Array<[string, CommandSandbox]> = [
  ['in the sandbox', { kind: 'bwrap', bwrap: support.bwrap ?? 'bwrap', dataDir, network: false }],
  ['unsandboxed', { kind: 'none', reason: 'testing the unsandboxed path' }],
];

test('bubblewrap works on this machine (the sandboxed runs below depend on it)', () => {
  expect(support).toMatchObject({ commands: 'bwrap' });
});

describe.each(sandboxes)('runCommand %s', (_name, sandbox) => {
  test('runs a program without a shell and keeps the tail and the full log', async () => {
    const file = logFile();
    const result = await runCommand({
      command: "node -e \"console.log('x'.repeat(5000)); console.log('the end')\"",
      cwd: os.tmpdir(),
      logFile: file,
      sandbox,
    });
    expect(result).toMatchObject({ exitCode: 0, outcome: 'exited' });
    expect(result.outputTail).toHaveLength(2_000);
    expect(result.outputTail.trimEnd().endsWith('the end')).toBe(true);
    expect(readFileSync(file, 'utf8')).toContain('x'.repeat(5000));
  });

  test('quotes work as in a shell, but shell syntax is refused rather than run', async () => {
    const quoted = await runCommand({
      command: `node -e "console.log(process.argv.slice(1).join('|'))" "two words" 'single $HOME'`,
      cwd: os.tmpdir(),
      logFile: logFile(),
      sandbox,
    });
    expect(quoted.outputTail.trim()).toBe('two words|single $HOME');
    const injected = await runCommand({
      command: 'echo hello; touch /tmp/pwned',
      cwd: os.tmpdir(),
      logFile: logFile(),
      sandbox,
    });
    expect(injected.outcome).toBe('failed_to_start');
    expect(injected.outputTail).toMatch(/uses shell syntax \(;\); commands run without a shell/);
  });

  test('stdin is closed, CI=1 is set, and Maestro secrets are not passed on', async () => {
    process.env.MAESTRO_TEST_SECRET_API_KEY = 'sk-should-not-leak-123456';
    try {
      const result = await runCommand({
        command:
          "node -e \"let n=0; process.stdin.on('data', d => n += d.length).on('end', () => console.log('stdin', n, 'CI', process.env.CI, 'key', process.env.MAESTRO_TEST_SECRET_API_KEY))\"",
        cwd: os.tmpdir(),
        logFile: logFile(),
        sandbox,
      });
      expect(result.outputTail.trim()).toBe('stdin 0 CI 1 key undefined');
    } finally {
      delete process.env.MAESTRO_TEST_SECRET_API_KEY;
    }
    expect(
      commandEnvironment(
        {
          OPENAI_API_KEY: 'x',
          DATABASE_URL: 'y',
          AWS_SECRET_ACCESS_KEY: 'z',
          SSH_AUTH_SOCK: '/s',
          MY_LLM: 'k',
          PATH: '/bin',
        },
        ['MY_LLM'],
      ),
    ).toEqual({ PATH: '/bin', CI: '1', FORCE_COLOR: '0', NO_COLOR: '1' });
  });

  test('a command that hangs silently is warned about, then killed with its whole process group', async () => {
    const warnings: string[] = [];
    const result = await runCommand({
      command: 'sh -c "sleep 300 & sleep 300 & echo started; wait"',
      cwd: os.tmpdir(),
      logFile: logFile(),
      sandbox,
      limits: { silenceWarningMs: 400, silenceKillMs: 1_200 },
      onWarning: (message) => warnings.push(message),
    });
    expect(result.outcome).toBe('killed_silent');
    expect(warnings[0]).toMatch(/has printed nothing for/);
    expect(warnings.at(-1)).toMatch(/printed nothing for \d+ s: stopping it as hung/);
    expect(result.warnings).toEqual(warnings);
  });

  test('a hung command that outlives the SIGTERM is said to be stopped once, in the warnings and the log', async () => {
    const file = logFile();
    const warnings: string[] = [];
    const result = await runCommand({
      command: `node -e "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"`,
      cwd: os.tmpdir(),
      logFile: file,
      sandbox,
      limits: { silenceWarningMs: 300, silenceKillMs: 600 },
      onWarning: (message) => warnings.push(message),
    });
    expect(result.outcome).toBe('killed_silent');
    if (sandbox.kind === 'none') {
      // It ignored the SIGTERM: the SIGKILL came seconds later, many ticks of the silence watch.
      expect(result.durationMs).toBeGreaterThan(4_000);
    } else {
      // bubblewrap ends on the SIGTERM, and its PID namespace goes with it, SIGTERM handler or not.
      expect(result.durationMs).toBeLessThan(4_000);
    }
    expect(warnings.filter((message) => message.includes('stopping it as hung'))).toHaveLength(1);
    expect(readFileSync(file, 'utf8').match(/stopping it as hung/g)).toHaveLength(1);
  });

  test('a command that keeps printing is never killed before its absolute limit', async () => {
    const result = await runCommand({
      // Runs 4.5 s, well past the silence limit; the limits leave room for node's start on a loaded machine.
      command:
        'node -e "let i = 0; const t = setInterval(() => { console.log(i++); if (i === 30) { clearInterval(t); } }, 150)"',
      cwd: os.tmpdir(),
      logFile: logFile(),
      sandbox,
      limits: { silenceWarningMs: 1_500, silenceKillMs: 2_500, maxDurationMs: 60_000 },
    });
    expect(result).toMatchObject({ outcome: 'exited', exitCode: 0, warnings: [] });
  });

  test('the absolute limit stops even a chatty command', async () => {
    const result = await runCommand({
      command: 'node -e "setInterval(() => console.log(Date.now()), 100)"',
      cwd: os.tmpdir(),
      logFile: logFile(),
      sandbox,
      limits: { silenceWarningMs: 5_000, silenceKillMs: 10_000, maxDurationMs: 800 },
    });
    expect(result.outcome).toBe('killed_max_duration');
  });

  test('cancelling stops the command and everything it started', async () => {
    const controller = new AbortController();
    const marker = uniqueSleep();
    const running = runCommand({
      command: `sh -c "sleep ${marker} & echo started; sleep ${marker}"`,
      cwd: os.tmpdir(),
      logFile: logFile(),
      sandbox,
      signal: controller.signal,
      onProgress: () => undefined,
    });
    setTimeout(() => controller.abort(), 500);
    const result = await running;
    expect(result.outcome).toBe('cancelled');
    expect(result.outputTail).toContain('started');
    expect(processesWith(`sleep ${marker}`)).toEqual([]);
  });

  test('a program that does not exist is reported, not thrown', async () => {
    const result = await runCommand({
      command: 'no-such-program --version',
      cwd: os.tmpdir(),
      logFile: logFile(),
      sandbox,
    });
    expect(result.outcome).toBe('failed_to_start');
    expect(result.outputTail).toMatch(/ENOENT|not found/);
  });

  test('an npm script runs without npm, with the same output and exit code, and the log says so', async () => {
    const cwd = npmPackage({ test: 'node check.js --from-script' });
    const command = 'npm test -- --reporter junit "a b"';
    const run = (directNpmScripts?: boolean) =>
      runCommand({
        command,
        cwd,
        logFile: logFile(),
        sandbox,
        ...(directNpmScripts === undefined ? {} : { directNpmScripts }),
      });
    const [throughNpm, direct] = [await run(false), await run()];
    for (const result of [throughNpm, direct])
      expect(result).toMatchObject({ outcome: 'exited', exitCode: 3, signal: null });
    expect(checkLines(direct.outputTail)).toEqual([
      'argv=["--from-script","--reporter","junit","a b"]',
      `npm=${JSON.stringify({ npm_lifecycle_event: 'test', npm_command: 'test', INIT_CWD: cwd, npm_package_name: 'probe' })}`,
      `cwd=${cwd}`,
    ]);
    expect(checkLines(direct.outputTail)).toEqual(checkLines(throughNpm.outputTail));
    const [npmLog, directLog] = [readFileSync(throughNpm.logFile, 'utf8'), readFileSync(direct.logFile, 'utf8')];
    // npm's banner, then the script; or Maestro's line in its place.
    expect(npmLog).toContain('> probe@1.0.0 test\n> node check.js --from-script --reporter junit a b');
    expect(npmLog).not.toContain('[maestro] ran npm script');
    expect(directLog).toMatch(
      /^\$ npm test -- --reporter junit "a b"\n\[maestro\] ran npm script "test" directly: node check\.js --from-script --reporter junit 'a b'\n/,
    );
    expect(directLog).not.toContain('> probe@1.0.0 test');
  });

  test('a script killed by a signal exits as npm reports it: 128 + the signal', async () => {
    const cwd = npmPackage({ crash: 'node kill.js' });
    const run = (directNpmScripts: boolean) =>
      runCommand({ command: 'npm run crash', cwd, logFile: logFile(), sandbox, directNpmScripts });
    const [throughNpm, direct] = [await run(false), await run(true)];
    for (const result of [throughNpm, direct])
      expect(result).toMatchObject({ outcome: 'exited', exitCode: 137, signal: null });
    expect(readFileSync(direct.logFile, 'utf8')).toContain('[maestro] ran npm script "crash" directly: node kill.js');
  });

  test('a script that needs sh runs through npm as before, and works', async () => {
    const cwd = npmPackage({ test: 'node -e "console.log(1)" && node check.js' });
    const result = await runCommand({ command: 'npm test -- more', cwd, logFile: logFile(), sandbox });
    expect(result).toMatchObject({ outcome: 'exited', exitCode: 3 });
    expect(checkLines(result.outputTail)[0]).toBe('argv=["more"]');
    expect(readFileSync(result.logFile, 'utf8')).toContain(
      '[maestro] ran npm script "test" through npm: its script `node -e "console.log(1)" && node check.js` has `&` outside quotes, which sh interprets\n',
    );
  });

  test('what a finished command left running in its group is stopped too', async () => {
    const marker = uniqueSleep();
    const result = await runCommand({
      command: `sh -c "sleep ${marker} & echo started"`,
      cwd: os.tmpdir(),
      logFile: logFile(),
      sandbox,
    });
    expect(result.exitCode).toBe(0);
    expect(processesWith(`sleep ${marker}`)).toEqual([]);
  });
});
