/**
 * Orchestration figures of the subtask workflow, read from real workflow histories and printed:
 *   handoff     a check completing -> the next agent activity starting (p50, p95)
 *   floor       the same hop in a bare two-activity workflow on the same server
 *   overhead    a subtask's wall time minus the time spent inside activities (model, commands, git)
 *   approval    an approval update accepted -> the next activity starting
 *   history     events and bytes per subtask
 * With a scripted model that answers at once. Usage: npm run bench:handoff [-- --subtasks 50 --parallel 3]
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection, Client } from '@temporalio/client';
import { NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import type { temporal } from '@temporalio/proto';
import { tsToMs } from '@temporalio/common/lib/time.js';
import { CART_TAX_SPEC, cartTaxConversations } from '../stack/demo/cart-tax-script.js';
import { projectRoot } from '../runtime/project-root.js';
import { startSubtaskHarness } from '../test/support/subtask-harness.js';

const { values } = parseArgs({
  options: {
    subtasks: { type: 'string', default: '50' },
    parallel: { type: 'string', default: '3' },
    approvals: { type: 'string', default: '10' },
  },
});
const subtasks = Number(values.subtasks);
const parallel = Number(values.parallel);
const approvals = Number(values.approvals);

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const harness = await startSubtaskHarness('bench', { MAESTRO_RETRY_BACKOFF_MS: '50' });
const timeOf = (event: HistoryEvent) => tsToMs(event.eventTime!);

async function history(workflowId: string) {
  return harness.temporal.workflow.getHandle(workflowId).fetchHistory();
}

/** For each completed activity of `fromType`, the time until the next activity of `toType` starts. */
function hops(events: HistoryEvent[], fromType: string, toType: string): number[] {
  const typeOf = new Map<number, string>();
  for (const event of events) {
    if (event.activityTaskScheduledEventAttributes)
      typeOf.set(Number(event.eventId), event.activityTaskScheduledEventAttributes.activityType!.name!);
  }
  const result: number[] = [];
  events.forEach((event, index) => {
    const completed = event.activityTaskCompletedEventAttributes;
    if (!completed || typeOf.get(Number(completed.scheduledEventId)) !== fromType) return;
    const next = events
      .slice(index + 1)
      .find(
        (later) =>
          later.activityTaskStartedEventAttributes &&
          typeOf.get(Number(later.activityTaskStartedEventAttributes.scheduledEventId)) === toType,
      );
    if (next) result.push(timeOf(next) - timeOf(event));
  });
  return result;
}

/** Time spent inside activities (scheduled -> completed), which the model, commands and git take. */
function activityTime(events: HistoryEvent[]): number {
  const started = new Map<number, number>();
  let total = 0;
  for (const event of events) {
    if (event.activityTaskStartedEventAttributes)
      started.set(Number(event.activityTaskStartedEventAttributes.scheduledEventId), timeOf(event));
  }
  for (const event of events) {
    const completed = event.activityTaskCompletedEventAttributes;
    if (completed) total += timeOf(event) - (started.get(Number(completed.scheduledEventId)) ?? timeOf(event));
  }
  return total;
}

async function runSubtask(index: number, risk: 'low' | 'medium') {
  const name = `bench-${risk}-${index}`;
  await harness.sampleProject(name);
  const key = `${index + 1}-1`;
  harness.script(...cartTaxConversations(key));
  const { workflowId } = await harness.api.subtask.start.mutate({ project: name, key, risk, ...CART_TAX_SPEC });
  if (risk === 'medium') {
    await harness.waitFor(name, key, (state) => state.pendingGate?.gate === 'merge', 'the merge gate', 300_000);
    await harness.api.subtask.approve.mutate({ project: name, key });
  }
  await harness.temporal.workflow.getHandle(workflowId).result();
  return workflowId;
}

async function inBatches<T>(count: number, run: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const index = next++;
        results.push(await run(index));
      }
    }),
  );
  return results;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};
const summary = (values: number[]) =>
  `p50 ${percentile(values, 50).toFixed(0)} ms, p95 ${percentile(values, 95).toFixed(0)} ms (n=${values.length})`;

try {
  const started = performance.now();
  const lowRisk = await inBatches(subtasks, (index) => runSubtask(index, 'low'));
  const mediumRisk = await inBatches(approvals, (index) => runSubtask(1000 + index, 'medium'));
  const elapsed = performance.now() - started;

  const handoffs: number[] = [];
  const overheads: number[] = [];
  const sizes: Array<{ events: number; bytes: number }> = [];
  for (const workflowId of lowRisk) {
    const events = (await history(workflowId)).events ?? [];
    handoffs.push(...hops(events, 'runCheck', 'runAgentPhase'));
    overheads.push(timeOf(events.at(-1)!) - timeOf(events[0]!) - activityTime(events));
    sizes.push({ events: events.length, bytes: JSON.stringify(events).length });
  }
  const approvalHops: number[] = [];
  for (const workflowId of mediumRisk) {
    const events = (await history(workflowId)).events ?? [];
    const accepted = events.findIndex((event) => event.workflowExecutionUpdateAcceptedEventAttributes);
    const next = events.slice(accepted + 1).find((event) => event.activityTaskStartedEventAttributes);
    if (accepted >= 0 && next) approvalHops.push(timeOf(next) - timeOf(events[accepted]!));
  }

  // The floor: the same hop in a bare workflow of two activities on two queues, on the same server.
  const floor = await measureFloor(harness.ready.temporalAddress);

  console.log(
    `Subtask orchestration on the Temporal dev server, scripted model answering at once (${subtasks} low-risk + ${approvals} medium-risk subtasks, ${parallel} at a time, ${(elapsed / 1000).toFixed(0)} s):`,
  );
  console.log(`  handoff, check done -> next agent started   ${summary(handoffs)}`);
  console.log(
    `  floor, bare two-activity workflow           ${summary(floor)}  (handoff p50 is ${(percentile(handoffs, 50) / percentile(floor, 50)).toFixed(2)}x the floor)`,
  );
  console.log(`  orchestration overhead per subtask          ${summary(overheads)}`);
  console.log(`  approval accepted -> next activity started  ${summary(approvalHops)}`);
  console.log(
    `  history per subtask                         events p50 ${percentile(
      sizes.map((s) => s.events),
      50,
    )}, max ${Math.max(...sizes.map((s) => s.events))}; bytes p50 ${percentile(
      sizes.map((s) => s.bytes),
      50,
    )}, max ${Math.max(...sizes.map((s) => s.bytes))}`,
  );
} finally {
  await harness.close();
}

async function measureFloor(address: string): Promise<number[]> {
  const connection = await NativeConnection.connect({ address });
  const workflowsPath = path.join(projectRoot(), 'dist', 'bench', 'floor-workflow.js');
  const bundle = await bundleWorkflowCode({
    workflowsPath,
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
  });
  const activities = { async first() {}, async second() {} };
  const workers = await Promise.all(
    ['bench-floor-workflows', 'bench-floor-a', 'bench-floor-b'].map((taskQueue) =>
      Worker.create({ connection, namespace: 'maestro', taskQueue, workflowBundle: bundle, activities }),
    ),
  );
  const running = workers.map((worker) => worker.run());
  const client = new Client({ connection: await Connection.connect({ address }), namespace: 'maestro' });
  const result: number[] = [];
  for (let run = 0; run < 50; run++) {
    const handle = await client.workflow.start('floorWorkflow', {
      taskQueue: 'bench-floor-workflows',
      workflowId: `bench-floor-${Date.now()}-${run}`,
    });
    await handle.result();
    result.push(...hops((await handle.fetchHistory()).events ?? [], 'first', 'second'));
  }
  for (const worker of workers) worker.shutdown();
  await Promise.all(running);
  await client.connection.close();
  await connection.close();
  await sleep(10);
  return result;
}
