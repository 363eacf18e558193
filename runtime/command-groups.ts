import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { processAlive } from './child-process.js';
import { THIS_HOST, startTimeOf } from './process-info.js';

/*
 * A project command runs in a process group of its own. In the sandbox it dies with its worker
 * (bubblewrap's --die-with-parent); unsandboxed, a worker killed mid-command leaves the group
 * running. Each group is noted while it runs, so the next worker to start on the host stops the
 * groups of workers that died.
 */

let notesFolder: string | undefined;

/** Where this host's worker processes note the command groups they run (set once, at the worker's start). */
export function commandGroupsFolder(dataDir: string): string {
  return path.join(dataDir, 'run', 'commands');
}

/** From now on this process notes each command group it starts in this folder. */
export function noteCommandGroupsIn(folder: string): void {
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  notesFolder = folder;
}

/** Notes a command's process group (its leader's pid) while it runs; the function returned forgets it. */
export function noteCommandGroup(leader: number): () => void {
  if (!notesFolder) return () => undefined;
  const file = path.join(
    notesFolder,
    `${THIS_HOST}-${process.pid}-${startTimeOf(process.pid)}-${leader}-${startTimeOf(leader)}.group`,
  );
  try {
    writeFileSync(file, '', { mode: 0o600 });
  } catch {
    return () => undefined;
  }
  return () => rmSync(file, { force: true });
}

/**
 * Kills the command groups that dead worker processes of this host left running, and returns how
 * many. A group whose leader's pid now names another process is not touched.
 */
export function stopCommandsOfDeadWorkers(folder: string): number {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return 0;
  }
  let stopped = 0;
  for (const name of names) {
    const note = /^(\w+)-(\d+)-(\d+)-(\d+)-(\d+)\.group$/.exec(name);
    if (!note || note[1] !== THIS_HOST) continue;
    const [owner, ownerStart, leader, leaderStart] = [Number(note[2]), note[3], Number(note[4]), note[5]];
    if (owner === process.pid || (processAlive(owner) && startTimeOf(owner) === ownerStart)) continue;
    // The leader gone, its group may live on in its children: no other group can have its id then.
    // A live leader is ours only when its start time says so (unknown, '0', where /proc is not).
    const ours = !processAlive(leader) || (leaderStart !== '0' && startTimeOf(leader) === leaderStart);
    if (ours) {
      try {
        process.kill(-leader, 'SIGKILL');
        stopped++;
      } catch {
        // the group had ended already
      }
    }
    rmSync(path.join(folder, name), { force: true });
  }
  return stopped;
}
