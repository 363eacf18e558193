import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { commandEnvironment } from '../../domain/command-environment.js';
import { runCommand } from './run-command.js';

const logFile = () => path.join(mkdtempSync(path.join(os.tmpdir(), 'maestro-command-')), 'command.log');

/** Alive and not a zombie (a killed process can linger a moment until it is reaped). */
function alive(pid: number): boolean {
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z');
  } catch {
    return false;
  }
}

describe('runCommand', () => {
  test('runs a program without a shell and keeps the tail and the full log', async () => {
    const file = logFile();
    const result = await runCommand({
      command: "node -e \"console.log('x'.repeat(5000)); console.log('the end')\"",
      cwd: os.tmpdir(),
      logFile: file,
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
    });
    expect(quoted.outputTail.trim()).toBe('two words|single $HOME');
    const injected = await runCommand({
      command: 'echo hello; touch /tmp/pwned',
      cwd: os.tmpdir(),
      logFile: logFile(),
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
      limits: { silenceWarningMs: 300, silenceKillMs: 600 },
      onWarning: (message) => warnings.push(message),
    });
    expect(result.outcome).toBe('killed_silent');
    // It ignored the SIGTERM: the SIGKILL came seconds later, many ticks of the silence watch.
    expect(result.durationMs).toBeGreaterThan(4_000);
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
      limits: { silenceWarningMs: 1_500, silenceKillMs: 2_500, maxDurationMs: 60_000 },
    });
    expect(result).toMatchObject({ outcome: 'exited', exitCode: 0, warnings: [] });
  });

  test('the absolute limit stops even a chatty command', async () => {
    const result = await runCommand({
      command: 'node -e "setInterval(() => console.log(Date.now()), 100)"',
      cwd: os.tmpdir(),
      logFile: logFile(),
      limits: { silenceWarningMs: 5_000, silenceKillMs: 10_000, maxDurationMs: 800 },
    });
    expect(result.outcome).toBe('killed_max_duration');
  });

  test('cancelling stops the command and everything it started', async () => {
    const controller = new AbortController();
    const pids: number[] = [];
    const running = runCommand({
      command: 'sh -c "sleep 300 & echo $!; sleep 300"',
      cwd: os.tmpdir(),
      logFile: logFile(),
      signal: controller.signal,
      onProgress: () => undefined,
    });
    setTimeout(() => controller.abort(), 500);
    const result = await running;
    expect(result.outcome).toBe('cancelled');
    const grandchild = Number(result.outputTail.trim().split('\n')[0]);
    expect(Number.isInteger(grandchild)).toBe(true);
    pids.push(grandchild);
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });

  test('a program that does not exist is reported, not thrown', async () => {
    const result = await runCommand({ command: 'no-such-program --version', cwd: os.tmpdir(), logFile: logFile() });
    expect(result.outcome).toBe('failed_to_start');
    expect(result.outputTail).toMatch(/ENOENT|not found/);
  });

  test('what a finished command left running in its group is stopped too', async () => {
    const result = await runCommand({ command: 'sh -c "sleep 300 & echo $!"', cwd: os.tmpdir(), logFile: logFile() });
    const leftover = Number(result.outputTail.trim());
    expect(result.exitCode).toBe(0);
    expect(alive(leftover)).toBe(false);
  });
});
