/**
 * Orchestration figures of the subtask workflow and its agents' runs, read from real workflow
 * histories, at each concurrency asked for (subtasks in flight), and printed:
 *   check -> agent   a check completing -> the next agent run's first activity starting
 *   agent -> check   an agent's commit completing -> its check starting
 *   model -> tool    inside an agent's run: a model call completing -> its tool call starting
 *   floor            the same hop in a bare workflow on the same server, in the same run, at the
 *                    same concurrency, with activities as long as this run's checks
 *   model call       an agent step's model call: its wait for a gateway slot, and its run time
 *                    with a model that answers at once (HTTP, ledger)
 *   runner wait      a check's wait for a runner slot
 *   overhead         a subtask's wall time minus the time inside activities (model, commands, git)
 *   throughput       subtasks per minute; CPU seconds per subtask (every process of the stack)
 *   peak RSS         per process of the stack
 *   approval         an approval update accepted -> the next activity starting
 * With a scripted model that answers at once. A subtask that blocks fails the bench with its reason.
 * Usage: npm run bench:handoff [-- --subtasks 10 --parallel 1,10 --approvals 5]
 *        npm run bench:scale   (1, 10, 50 and 100 in flight)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection, Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import type { temporal } from '@temporalio/proto';
import { CART_TAX_SPEC, cartTaxConversations } from '../stack/demo/cart-tax-script.js';
import { projectRoot } from '../runtime/project-root.js';
import { startSubtaskHarness } from '../test/support/subtask-harness.js';
import { descendantsOf } from '../test/support/maestro-process.js';
import { AGENT_RUN_WORKFLOW } from '../workflows/agent-run.shared.js';
import {
  type ActivityTimes,
  activitiesOf,
  hops,
  percentile,
  queueWaits,
  summary,
  timeInside,
  timeOf,
} from './history-activities.js';
import { subtaskEnd } from './subtask-end.js';

const { values } = parseArgs({
  options: {
    subtasks: { type: 'string', default: '10' },
    parallel: { type: 'string', default: '1,10' },
    approvals: { type: 'string', default: '5' },
  },
});
const subtasks = Number(values.subtasks);
const levels = values.parallel.split(',').map(Number);
const approvals = Number(values.approvals);
if (!Number.isInteger(subtasks) || subtasks < 1 || levels.some((level) => !Number.isInteger(level) || level < 1))
  throw new Error('--subtasks takes a whole number, --parallel whole numbers separated by commas (1,10)');

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const CHECKS = ['runCheck'];
const AGENT_STARTS = ['prepareAgentRun', 'runAgentPhase'];
const AGENT_ENDS = ['commitAgentRun', 'runAgentPhase'];
const FLOOR_HOPS = 7;

// The floor's workers log through this process's runtime: only what is wrong.
Runtime.install({ logger: new DefaultLogger('WARN') });
// The product's heartbeat timeout, not the tests' 5 s: at 50 in flight on two cores a starved
// worker's heartbeats can be seconds apart.
const harness = await startSubtaskHarness('bench', {
  MAESTRO_RETRY_BACKOFF_MS: '50',
  MAESTRO_HEARTBEAT_TIMEOUT_MS: '30000',
});

async function eventsOf(workflowId: string): Promise<HistoryEvent[]> {
  return (await harness.temporal.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
}

/** A subtask's activities and its agent runs' (each run is a child workflow of its own). */
async function subtaskActivities(workflowId: string) {
  const events = await eventsOf(workflowId);
  const runs = events
    .map((event) => event.startChildWorkflowExecutionInitiatedEventAttributes)
    .filter((attributes) => attributes?.workflowType?.name === AGENT_RUN_WORKFLOW)
    .map((attributes) => attributes!.workflowId!);
  const inRuns = (await Promise.all(runs.map(async (id) => activitiesOf(await eventsOf(id))))).flat();
  return {
    events,
    all: [...activitiesOf(events), ...inRuns],
    inRuns,
    eventCount: events.length,
    bytes: JSON.stringify(events).length,
  };
}

let started = 0;
async function runSubtask(risk: 'low' | 'medium') {
  const index = started++;
  const name = `bench-${risk}-${index}`;
  await harness.sampleProject(name);
  const key = `${index + 1}-1`;
  harness.script(...cartTaxConversations(key));
  const { workflowId } = await harness.api.subtask.start.mutate({ project: name, key, risk, ...CART_TAX_SPEC });
  if (risk === 'medium') {
    await harness.waitFor(
      name,
      key,
      (state) => state.pendingGate?.gate === 'merge' || state.status === 'blocked',
      'the merge gate',
      600_000,
    );
    await harness.api.subtask.approve.mutate({ project: name, key });
  }
  await subtaskEnd(harness, name, key, workflowId);
  return workflowId;
}

async function inFlight<T>(count: number, parallel: number, run: () => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, count) }, async () => {
      while (next < count) {
        next++;
        results.push(await run());
      }
    }),
  );
  return results;
}

/**
 * CPU seconds used so far by the stack's live processes, by process, with the children each has
 * waited for (the test commands a worker ran, git): Temporal and PostgreSQL included.
 */
function stackCpuSeconds(): Map<string, number> {
  const ticks = 100;
  const byProcess = new Map<string, number>();
  for (const entry of descendantsOf(harness.maestro.pid)) {
    try {
      const fields = readFileSync(`/proc/${entry.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      const seconds = (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / ticks;
      const name = processName(entry.command);
      byProcess.set(name, (byProcess.get(name) ?? 0) + seconds);
    } catch {
      // gone between the listing and the read
    }
  }
  return byProcess;
}

function cpuUsedSince(before: Map<string, number>): Map<string, number> {
  const used = new Map<string, number>();
  for (const [name, seconds] of stackCpuSeconds()) used.set(name, Math.max(0, seconds - (before.get(name) ?? 0)));
  return used;
}

/** Samples every process's resident memory until stopped: the peak of each, by its command. */
function watchPeakRss() {
  const peaks = new Map<string, number>();
  const sample = () => {
    for (const entry of descendantsOf(harness.maestro.pid)) {
      try {
        const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${entry.pid}/status`, 'utf8'))?.[1] ?? 0);
        const name = processName(entry.command);
        peaks.set(name, Math.max(peaks.get(name) ?? 0, kb));
      } catch {
        // gone between the listing and the read
      }
    }
  };
  const timer = setInterval(sample, 500);
  return {
    stop() {
      clearInterval(timer);
      return peaks;
    },
  };
}

function processName(command: string): string {
  const queues = /--queues (\S+)/.exec(command)?.[1];
  if (queues) return `worker ${queues}`;
  if (command.includes('web/server')) return 'api';
  if (command.includes('temporal')) return 'temporal';
  if (command.includes('postgres')) return 'postgres';
  return command.split(' ')[0]!.split('/').at(-1)!;
}

interface LevelFigures {
  parallel: number;
  count: number;
  elapsedMs: number;
  cpuPerSubtask: number;
  cpuByProcess: Map<string, number>;
  checkToAgent: number[];
  agentToCheck: number[];
  modelToTool: number[];
  modelWait: number[];
  modelRun: number[];
  runnerWait: number[];
  overhead: number[];
  checkRun: number[];
  floor: number[];
  peaks: Map<string, number>;
  events: number[];
  bytes: number[];
  workflowTasks: number[];
  localActivities: Map<string, number[]>;
}

async function measureLevel(parallel: number): Promise<LevelFigures> {
  const count = Math.max(subtasks, parallel);
  const cpuBefore = stackCpuSeconds();
  const rss = watchPeakRss();
  const startedAt = performance.now();
  const ids = await inFlight(count, parallel, () => runSubtask('low'));
  const elapsedMs = performance.now() - startedAt;
  const cpuByProcess = cpuUsedSince(cpuBefore);
  const cpuPerSubtask = [...cpuByProcess.values()].reduce((sum, seconds) => sum + seconds, 0) / count;
  const peaks = rss.stop();

  const figures: LevelFigures = {
    parallel,
    count,
    elapsedMs,
    cpuPerSubtask,
    cpuByProcess,
    checkToAgent: [],
    agentToCheck: [],
    modelToTool: [],
    modelWait: [],
    modelRun: [],
    runnerWait: [],
    overhead: [],
    checkRun: [],
    floor: [],
    peaks,
    events: [],
    bytes: [],
    workflowTasks: [],
    localActivities: new Map(),
  };
  for (const workflowId of ids) {
    const subtask = await subtaskActivities(workflowId);
    const all: ActivityTimes[] = subtask.all;
    figures.checkToAgent.push(...hops(all, CHECKS, AGENT_STARTS));
    figures.agentToCheck.push(...hops(all, AGENT_ENDS, CHECKS));
    figures.modelToTool.push(...hops(subtask.inRuns, ['agentModelStep'], ['runAgentTool', 'commitAgentRun']));
    figures.modelWait.push(...queueWaits(all, ['agentModelStep']));
    figures.modelRun.push(
      ...all
        .filter((activity) => activity.type === 'agentModelStep' && activity.completedAt && activity.startedAt)
        .map((activity) => activity.completedAt! - activity.startedAt!),
    );
    figures.runnerWait.push(...queueWaits(all, CHECKS));
    figures.checkRun.push(
      ...all
        .filter((activity) => CHECKS.includes(activity.type) && activity.completedAt && activity.startedAt)
        .map((activity) => activity.completedAt! - activity.startedAt!),
    );
    const wall = timeOf(subtask.events.at(-1)!) - timeOf(subtask.events[0]!);
    figures.overhead.push(wall - timeInside(all));
    figures.events.push(subtask.eventCount);
    figures.bytes.push(subtask.bytes);
    figures.workflowTasks.push(...workflowTaskTimes(subtask.events));
  }
  // Where a hop's time goes: the local activities its workflow tasks wait for (timed by the worker).
  const local = await harness.prisma.activityRun.findMany({
    where: { local: true, workflowId: { in: ids } },
    select: { activityType: true, durationMs: true },
  });
  for (const run of local)
    figures.localActivities.set(run.activityType, [
      ...(figures.localActivities.get(run.activityType) ?? []),
      run.durationMs,
    ]);
  // The floor: in the same run, as many in flight, activities as long as this run's checks.
  figures.floor = await measureFloor(
    harness.ready.temporalAddress,
    parallel,
    Math.round(percentile(figures.checkRun, 50)),
  );
  return figures;
}

function report(figures: LevelFigures) {
  const ratio = (values: number[], p: number) => (percentile(values, p) / percentile(figures.floor, p)).toFixed(2);
  console.log(
    `\n${figures.parallel} in flight: ${figures.count} low-risk subtasks in ${(figures.elapsedMs / 1000).toFixed(0)} s`,
  );
  console.log(
    `  check -> agent                  ${summary(figures.checkToAgent)}  (${ratio(figures.checkToAgent, 50)}x / ${ratio(figures.checkToAgent, 95)}x the floor at p50 / p95)`,
  );
  console.log(
    `  agent -> check                  ${summary(figures.agentToCheck)}  (${ratio(figures.agentToCheck, 50)}x / ${ratio(figures.agentToCheck, 95)}x)`,
  );
  console.log(`  model -> tool, inside a run     ${summary(figures.modelToTool)}`);
  console.log(
    `  subtask workflow task           ${summary(figures.workflowTasks)}  (started -> completed, local activities inside)`,
  );
  for (const [type, times] of [...figures.localActivities].sort((a, b) => percentile(b[1], 50) - percentile(a[1], 50)))
    console.log(`    local ${type.padEnd(24)} ${summary(times)}  (${times.length} runs)`);
  console.log(
    `  floor, bare activity -> activity ${summary(figures.floor)}  (${figures.parallel} in flight, activities of ${percentile(figures.checkRun, 50).toFixed(0)} ms)`,
  );
  console.log(`  model call: wait for a slot     ${summary(figures.modelWait)}`);
  console.log(`  model call: run (instant model) ${summary(figures.modelRun)}`);
  console.log(`  check: wait for a runner        ${summary(figures.runnerWait)}`);
  console.log(`  overhead per subtask            ${summary(figures.overhead)}  (wall minus time inside activities)`);
  console.log(
    `  throughput                      ${((figures.count / figures.elapsedMs) * 60_000).toFixed(1)} subtasks per minute; ${figures.cpuPerSubtask.toFixed(2)} CPU-s per subtask (all processes, with the commands they ran)`,
  );
  console.log(
    `  CPU-s per subtask, by process    ${[...figures.cpuByProcess]
      .sort((a, b) => b[1] - a[1])
      .map(([name, seconds]) => `${name} ${(seconds / figures.count).toFixed(2)}`)
      .join(', ')}`,
  );
  console.log(
    `  history per subtask             events p50 ${percentile(figures.events, 50)}, bytes p50 ${percentile(figures.bytes, 50)} (its agent runs' histories not counted)`,
  );
  console.log(
    `  peak RSS                        ${[...figures.peaks]
      .sort((a, b) => b[1] - a[1])
      .map(([name, kb]) => `${name} ${(kb / 1024).toFixed(0)} MB`)
      .join(', ')}`,
  );
}

try {
  console.log(
    `Subtask orchestration on the Temporal dev server, scripted model answering at once; at ${levels.join(', ')} in flight:`,
  );
  for (const level of levels) report(await measureLevel(level));

  if (approvals > 0) {
    const mediumRisk = await inFlight(approvals, Math.min(levels[0]!, approvals), () => runSubtask('medium'));
    const approvalHops: number[] = [];
    for (const workflowId of mediumRisk) {
      const events = await eventsOf(workflowId);
      const accepted = events.findIndex((event) => event.workflowExecutionUpdateAcceptedEventAttributes);
      const next = events.slice(accepted + 1).find((event) => event.activityTaskStartedEventAttributes);
      if (accepted >= 0 && next) approvalHops.push(timeOf(next) - timeOf(events[accepted]!));
    }
    console.log(`\n  approval accepted -> next activity started  ${summary(approvalHops)}`);
  }
} finally {
  await harness.close();
}

/** How long each workflow task of a history took to run, from its start to its completion. */
function workflowTaskTimes(events: HistoryEvent[]): number[] {
  const started = new Map<string, number>();
  const times: number[] = [];
  for (const event of events) {
    if (event.workflowTaskStartedEventAttributes) started.set(String(event.eventId), timeOf(event));
    const completed = event.workflowTaskCompletedEventAttributes;
    const begun = completed ? started.get(String(completed.startedEventId)) : undefined;
    if (begun !== undefined) times.push(timeOf(event) - begun);
  }
  return times;
}

async function measureFloor(address: string, parallel: number, activityMs: number): Promise<number[]> {
  const connection = await NativeConnection.connect({ address });
  const workflowsPath = path.join(projectRoot(), 'dist', 'bench', 'floor-workflow.js');
  const bundle = await bundleWorkflowCode({
    workflowsPath,
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
  });
  const activities = { first: (ms: number) => sleep(ms), second: (ms: number) => sleep(ms) };
  const workers = await Promise.all(
    ['bench-floor-workflows', 'bench-floor-a', 'bench-floor-b'].map((taskQueue) =>
      Worker.create({ connection, namespace: 'maestro', taskQueue, workflowBundle: bundle, activities }),
    ),
  );
  const running = workers.map((worker) => worker.run());
  const client = new Client({ connection: await Connection.connect({ address }), namespace: 'maestro' });
  const result: number[] = [];
  // About 40 hops at least: each workflow makes 2 × FLOOR_HOPS - 1 of them.
  const rounds = Math.max(2, Math.ceil(40 / ((2 * FLOOR_HOPS - 1) * parallel)));
  for (let round = 0; round < rounds; round++) {
    await Promise.all(
      Array.from({ length: parallel }, async (_, index) => {
        const handle = await client.workflow.start('floorWorkflow', {
          taskQueue: 'bench-floor-workflows',
          workflowId: `bench-floor-${Date.now()}-${round}-${index}`,
          args: [FLOOR_HOPS, activityMs],
        });
        await handle.result();
        const floorActivities = activitiesOf((await handle.fetchHistory()).events ?? []);
        result.push(...hops(floorActivities, ['first'], ['second']), ...hops(floorActivities, ['second'], ['first']));
      }),
    );
  }
  for (const worker of workers) worker.shutdown();
  await Promise.all(running);
  await client.connection.close();
  await connection.close();
  return result;
}
