import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { processGroupAlive } from '../runtime/child-process.js';
import { createLogger } from '../runtime/log.js';
import { RunLock } from './run-lock.js';

const log = createLogger('test', 'silent');

describe('RunLock', () => {
  test('records what the stack starts and forgets it on release', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'maestro-lock-'));
    const file = path.join(dir, 'stack.json');
    const lock = await RunLock.acquire(file, dir, log);
    lock.track({ name: 'temporal', pgid: 4242, match: 'temporal.db', stopSignal: 'SIGTERM' });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
      pid: process.pid,
      groups: [{ name: 'temporal', pgid: 4242, match: 'temporal.db', stopSignal: 'SIGTERM' }],
    });
    lock.release();
    await expect(RunLock.acquire(file, dir, log)).resolves.toBeInstanceOf(RunLock);
  });

  test('refuses a second stack on the same data folder while the first runs', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'maestro-lock-'));
    const file = path.join(dir, 'stack.json');
    // A live process whose command line is a Maestro stack's.
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)', 'stack/main'], { stdio: 'ignore' });
    try {
      writeFileSync(file, JSON.stringify({ pid: other.pid, startedAt: new Date().toISOString(), groups: [] }));
      await expect(RunLock.acquire(file, dir, log)).rejects.toThrow(
        `Maestro is already running from ${dir} (pid ${other.pid})`,
      );
    } finally {
      other.kill('SIGKILL');
    }
  });

  test('stops what a killed stack left behind before starting again', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'maestro-lock-'));
    const file = path.join(dir, 'stack.json');
    const leftover = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
    writeFileSync(
      file,
      JSON.stringify({
        pid: 999_999,
        startedAt: new Date().toISOString(),
        groups: [{ name: 'temporal', pgid: leftover.pid, match: 'sleep 300', stopSignal: 'SIGTERM' }],
      }),
    );
    expect(processGroupAlive(leftover.pid!)).toBe(true);
    await RunLock.acquire(file, dir, log);
    expect(processGroupAlive(leftover.pid!)).toBe(false);
  });

  test('leaves alone a recorded process group that now belongs to another program', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'maestro-lock-'));
    const file = path.join(dir, 'stack.json');
    const stranger = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
    try {
      writeFileSync(
        file,
        JSON.stringify({
          pid: 999_999,
          startedAt: new Date().toISOString(),
          groups: [{ name: 'postgres', pgid: stranger.pid, match: 'postgres -D', stopSignal: 'SIGINT' }],
        }),
      );
      await RunLock.acquire(file, dir, log);
      expect(processGroupAlive(stranger.pid!)).toBe(true);
    } finally {
      process.kill(-stranger.pid!, 'SIGKILL');
    }
  });
});
