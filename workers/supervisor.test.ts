import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, test } from 'vitest';
import pino from 'pino';
import { processAlive } from '../runtime/child-process.js';
import { RESTART_DELAYS_MS, Supervisor } from './supervisor.js';

interface Captured {
  records: Array<Record<string, unknown>>;
  lines: Array<{ name: string; line: string }>;
  spawns: Array<{ name: string; pid: number }>;
}

function supervisorWithCapture(): { supervisor: Supervisor; captured: Captured } {
  const captured: Captured = { records: [], lines: [], spawns: [] };
  const log = pino(
    { level: 'info' },
    { write: (line: string) => captured.records.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const supervisor = new Supervisor(log, {
    onOutput: (name, line) => captured.lines.push({ name, line }),
    onSpawn: (spec, pid) => captured.spawns.push({ name: spec.name, pid }),
  });
  return { supervisor, captured };
}

function script(source: string): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'maestro-supervised-')), 'child.mjs');
  writeFileSync(file, source);
  return file;
}

async function until<T>(check: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const longRunning = script(`
  process.on('SIGTERM', () => { console.log('draining'); setTimeout(() => process.exit(0), 100); });
  process.on('disconnect', () => process.exit(0));
  console.log(JSON.stringify({ msg: 'up', pid: process.pid }));
  setInterval(() => {}, 1000);
`);

describe('Supervisor', () => {
  test('restarts a child killed with SIGKILL and says why', async () => {
    const { supervisor, captured } = supervisorWithCapture();
    await supervisor.start({
      name: 'worker:tester',
      script: longRunning,
      nodeOptions: [],
      args: [],
      env: process.env,
      cwd: process.cwd(),
      stopTimeoutMs: 5_000,
    });
    const firstPid = supervisor.pids().get('worker:tester')!;
    process.kill(firstPid, 'SIGKILL');

    const crash = await until(
      () => captured.records.find((record) => record.child === 'worker:tester' && record.signal === 'SIGKILL'),
      'the crash record',
    );
    expect(crash.msg).toBe(`worker:tester was killed by SIGKILL; restarting in ${RESTART_DELAYS_MS[0]} ms`);
    expect(crash.restartInMs as number).toBeLessThan(5_000);
    const restarted = await until(
      () => captured.records.find((record) => record.msg === 'worker:tester restarted'),
      'the restart',
    );
    expect(restarted.pid).not.toBe(firstPid);
    expect(processAlive(restarted.pid as number)).toBe(true);
    expect(captured.spawns.map((spawn) => spawn.pid)).toEqual([firstPid, restarted.pid]);

    await supervisor.stop(['worker:tester']);
    expect(processAlive(restarted.pid as number)).toBe(false);
  });

  test('a child that keeps crashing is restarted with growing delays, never above 5 s, and its last words are logged', async () => {
    const { supervisor, captured } = supervisorWithCapture();
    const crasher = script(`console.error('cannot open the workflow bundle'); process.exit(3);`);
    await supervisor.start({
      name: 'api',
      script: crasher,
      nodeOptions: [],
      args: [],
      env: process.env,
      cwd: process.cwd(),
      stopTimeoutMs: 1_000,
    });
    const crashes = await until(() => {
      const found = captured.records.filter((record) => record.child === 'api' && record.code === 3);
      return found.length >= 3 ? found : undefined;
    }, 'three crashes');
    expect(crashes.map((record) => record.restartInMs)).toEqual(RESTART_DELAYS_MS.slice(0, 3));
    expect(crashes[0]!.lastOutput).toContain('cannot open the workflow bundle');
    expect(Math.max(...RESTART_DELAYS_MS)).toBeLessThan(5_000);
    await supervisor.stop(['api']);
    const countAfterStop = captured.spawns.length;
    await sleep(RESTART_DELAYS_MS[3] + 200);
    expect(captured.spawns.length).toBe(countAfterStop);
  });

  test('a stop is graceful: the child gets SIGTERM, finishes, and is not restarted', async () => {
    const { supervisor, captured } = supervisorWithCapture();
    await supervisor.start({
      name: 'worker:runner',
      script: longRunning,
      nodeOptions: [],
      args: [],
      env: process.env,
      cwd: process.cwd(),
      stopTimeoutMs: 5_000,
    });
    await until(() => captured.lines.find((entry) => entry.line.includes('"up"')), 'the child to start');
    await supervisor.stop(['worker:runner']);
    expect(captured.lines.map((entry) => entry.line)).toContain('draining');
    expect(captured.records.find((record) => record.msg === 'worker:runner stopped')).toMatchObject({
      code: 0,
      signal: null,
    });
    expect(captured.records.some((record) => String(record.msg).includes('restarting'))).toBe(false);
    expect(supervisor.names()).toEqual([]);
  });
});
