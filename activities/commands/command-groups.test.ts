import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, test } from 'vitest';
import { runCommand } from './run-command.js';
import { processAlive } from '../../runtime/child-process.js';
import { noteCommandGroupsIn, stopCommandsOfDeadWorkers } from '../../runtime/command-groups.js';
import { THIS_HOST, startTimeOf } from '../../runtime/process-info.js';

/** A pid that named a process a moment ago and names none now: a worker that died. */
async function deadPid(): Promise<number> {
  const child = spawn('true');
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

/** A command left running in a group of its own, as an unsandboxed command outlives a killed worker. */
function leftRunning(): number {
  const child = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
  child.unref();
  return child.pid!;
}

async function gone(pid: number): Promise<boolean> {
  for (let waited = 0; waited < 5_000; waited += 50) {
    if (!processAlive(pid) || startTimeOf(pid) === '0') return true;
    await sleep(50);
  }
  return false;
}

describe('commands that dead workers left running', () => {
  test('a running command notes its group, and forgets it when it ends', async () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), 'maestro-groups-'));
    noteCommandGroupsIn(folder);
    const running = runCommand({
      command: 'sleep 1',
      cwd: folder,
      logFile: path.join(folder, 'sleep.log'),
      sandbox: { kind: 'none', reason: 'the test runs it as it is' },
    });
    await expect
      .poll(() => readdirSync(folder).filter((name) => name.endsWith('.group')), { timeout: 5_000 })
      .toHaveLength(1);
    const [note] = readdirSync(folder).filter((name) => name.endsWith('.group'));
    expect(note).toMatch(new RegExp(`^${THIS_HOST}-${process.pid}-\\d+-\\d+-\\d+\\.group$`));
    expect((await running).exitCode).toBe(0);
    expect(readdirSync(folder).filter((name) => name.endsWith('.group'))).toEqual([]);
  });

  test("a dead worker's groups are killed; a live worker's, and a pid now another process's, are left alone", async () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), 'maestro-groups-'));
    const dead = await deadPid();
    const orphan = leftRunning();
    const live = leftRunning();
    const reused = leftRunning();
    writeFileSync(path.join(folder, `${THIS_HOST}-${dead}-1-${orphan}-${startTimeOf(orphan)}.group`), '');
    writeFileSync(
      path.join(folder, `${THIS_HOST}-${process.pid}-${startTimeOf(process.pid)}-${live}-${startTimeOf(live)}.group`),
      '',
    );
    // The note's leader started at another time: the pid is another process's now.
    writeFileSync(path.join(folder, `${THIS_HOST}-${dead}-1-${reused}-1.group`), '');
    // Another host's notes are its own to check.
    writeFileSync(path.join(folder, `otherhost000-${dead}-1-${live}-${startTimeOf(live)}.group`), '');
    try {
      expect(stopCommandsOfDeadWorkers(folder)).toBe(1);
      expect(await gone(orphan)).toBe(true);
      expect(processAlive(live)).toBe(true);
      expect(processAlive(reused)).toBe(true);
      expect(readdirSync(folder).sort()).toEqual(
        [
          `${THIS_HOST}-${process.pid}-${startTimeOf(process.pid)}-${live}-${startTimeOf(live)}.group`,
          `otherhost000-${dead}-1-${live}-${startTimeOf(live)}.group`,
        ].sort(),
      );
    } finally {
      for (const pid of [orphan, live, reused]) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
  });
});
