import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { ManagedProcess, processAlive, processGroupAlive } from './child-process.js';

describe('ManagedProcess', () => {
  test('runs in its own process group and stopping it ends every process it started', async () => {
    const managed = await ManagedProcess.start({
      name: 'tree',
      command: 'sh',
      args: ['-c', 'sleep 300 & sleep 300 & wait'],
    });
    expect(processGroupAlive(managed.pid)).toBe(true);
    expect(managed.pid).not.toBe(process.pid);
    const exit = await managed.stop('SIGTERM', 5_000);
    expect(exit.signal).toBe('SIGTERM');
    expect(processGroupAlive(managed.pid)).toBe(false);
  });

  test('kills a process that ignores the polite signal once its time is up', async () => {
    let signalReady!: () => void;
    const ready = new Promise<void>((resolve) => (signalReady = resolve));
    const managed = await ManagedProcess.start({
      name: 'stubborn',
      command: 'sh',
      args: ['-c', 'trap "" TERM; echo ready; while true; do sleep 1; done'],
      onLine: (line) => line === 'ready' && signalReady(),
    });
    await ready;
    const exit = await managed.stop('SIGTERM', 500);
    expect(exit.signal).toBe('SIGKILL');
    expect(processGroupAlive(managed.pid)).toBe(false);
  });

  test('keeps the last lines it printed, to explain a crash', async () => {
    const lines: string[] = [];
    const managed = await ManagedProcess.start({
      name: 'crasher',
      command: 'sh',
      args: ['-c', 'echo starting; echo "boom: disk full" >&2; exit 3'],
      onLine: (line) => lines.push(line),
    });
    expect(await managed.exited).toEqual({ code: 3, signal: null });
    expect(managed.recentOutput()).toContain('boom: disk full');
    expect(lines).toEqual(expect.arrayContaining(['starting', 'boom: disk full']));
  });

  test('writes to a log file when asked and reads its tail back', async () => {
    const logFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'maestro-log-')), 'out.log');
    writeFileSync(logFile, 'earlier run\n');
    const managed = await ManagedProcess.start({
      name: 'logger',
      command: 'sh',
      args: ['-c', 'echo one; echo two'],
      logFile,
    });
    await managed.exited;
    expect(managed.recentOutput()).toBe('earlier run\none\ntwo');
  });

  test('a command that does not exist fails to start', async () => {
    await expect(ManagedProcess.start({ name: 'ghost', command: '/nonexistent/binary', args: [] })).rejects.toThrow(
      /ENOENT/,
    );
  });

  test('processAlive tells a running pid from a finished one', async () => {
    const managed = await ManagedProcess.start({ name: 'short', command: 'sh', args: ['-c', 'exit 0'] });
    await managed.exited;
    expect(processAlive(process.pid)).toBe(true);
    expect(processAlive(managed.pid)).toBe(false);
  });
});
