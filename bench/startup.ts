/**
 * Start-up and idle-memory figures of the embedded default, printed, never asserted:
 *   cold start  new data folder (Temporal binary cached) until every queue is polled
 *   warm start  the same data folder again
 *   stop        SIGINT until every process has exited
 *   idle RSS    of each process, 10 s after ready
 * Usage: npm run bench [-- --runs 3 --idle-seconds 10]
 */
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import {
  MaestroProcess,
  descendantsOf,
  freePorts,
  newDataDir,
  type ProcessEntry,
} from '../test/support/maestro-process.js';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, 'idle-seconds': { type: 'string', default: '10' } },
});
const runs = Number(values.runs);
const idleSeconds = Number(values['idle-seconds']);

interface StartFigures {
  readyMs: number;
  temporalMs: number;
  postgresMs: number;
  stopMs: number;
}

async function timedStart(dataDir: string, ports: Awaited<ReturnType<typeof freePorts>>) {
  const spawnedAt = Date.now();
  const { maestro } = await MaestroProcess.start({ dataDir, ports });
  // Log times come from the same machine's clock, so they are comparable with the spawn time.
  const after = (msg: string) =>
    Date.parse(String(maestro.records.find((record) => record.msg === msg)?.time)) - spawnedAt;
  return {
    maestro,
    figures: {
      readyMs: after('Maestro is ready'),
      temporalMs: after('Temporal dev server answering'),
      postgresMs: after('embedded PostgreSQL answering'),
    },
  };
}

async function timedStop(maestro: MaestroProcess): Promise<number> {
  const started = performance.now();
  await maestro.stop('SIGINT');
  return performance.now() - started;
}

function rssKiB(pid: number): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((entry) => entry.startsWith('VmRSS:'));
    return Number(line?.split(/\s+/)[1] ?? 0);
  } catch {
    return 0;
  }
}

function roleOf(entry: ProcessEntry, supervisorPid: number): string {
  if (entry.pid === supervisorPid) return 'supervisor (stack/main)';
  if (entry.command.includes('temporal server start-dev')) return 'temporal dev server';
  if (entry.command.includes('postgres')) return 'postgresql (all processes)';
  if (entry.command.includes('web/server/main.js')) return 'api + console';
  const queues = /--queues (\S+)/.exec(entry.command)?.[1];
  if (queues) return `worker ${queues}`;
  return entry.command.slice(0, 40);
}

const median = (numbers: number[]) => [...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)]!;
const ms = (value: number) => `${Math.round(value)} ms`;

const cold: StartFigures[] = [];
const warm: StartFigures[] = [];
let memory: Map<string, number> | undefined;

for (let run = 0; run < runs; run++) {
  const dataDir = newDataDir('bench');
  const ports = await freePorts();
  const first = await timedStart(dataDir, ports);
  if (run === 0) {
    await sleep(idleSeconds * 1000);
    memory = new Map();
    for (const entry of [
      { pid: first.maestro.pid, ppid: 0, pgid: first.maestro.pid, command: 'stack/main' },
      ...descendantsOf(first.maestro.pid),
    ]) {
      const role = roleOf(entry, first.maestro.pid);
      memory.set(role, (memory.get(role) ?? 0) + rssKiB(entry.pid));
    }
  }
  cold.push({ ...first.figures, stopMs: await timedStop(first.maestro) });
  const second = await timedStart(dataDir, ports);
  warm.push({ ...second.figures, stopMs: await timedStop(second.maestro) });
  rmSync(path.dirname(dataDir), { recursive: true, force: true });
}

const summary = (label: string, figures: StartFigures[]) =>
  `${label.padEnd(12)} ready ${ms(median(figures.map((f) => f.readyMs))).padStart(8)}  (temporal answering ${ms(
    median(figures.map((f) => f.temporalMs)),
  )}, postgres answering ${ms(median(figures.map((f) => f.postgresMs)))}), stop ${ms(median(figures.map((f) => f.stopMs)))}; runs: ${figures
    .map((f) => Math.round(f.readyMs))
    .join(', ')} ms`;

console.log(`Maestro start-up, median of ${runs} runs (binary cached; every queue polled per Temporal):`);
console.log(`  ${summary('cold start', cold)}`);
console.log(`  ${summary('warm start', warm)}`);
console.log(`\nIdle RSS ${idleSeconds} s after ready:`);
let maestroTotal = 0;
for (const [role, kib] of [...memory!].sort()) {
  const own = !role.startsWith('temporal') && !role.startsWith('postgresql');
  if (own) maestroTotal += kib;
  console.log(`  ${role.padEnd(44)} ${(kib / 1024).toFixed(0).padStart(5)} MB${own ? '' : '  (not Maestro)'}`);
}
console.log(`  ${'Maestro processes together'.padEnd(44)} ${(maestroTotal / 1024).toFixed(0).padStart(5)} MB`);
