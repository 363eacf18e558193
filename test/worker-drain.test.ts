import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CART_TAX_SPEC, cartTaxConversations } from '../stack/demo/cart-tax-script.js';
import { descendantsOf, eventually } from './support/maestro-process.js';
import { type SubtaskHarness, startSubtaskHarness } from './support/subtask-harness.js';

const GRACE_MS = 8_000;
/** Longer than the grace time: the answer cannot come before the worker must be gone. */
const HELD_MS = 15_000;
let harness: SubtaskHarness;

beforeAll(async () => {
  // The developer and the model gateway each in a process of their own, so each can be stopped alone.
  harness = await startSubtaskHarness(
    'drain',
    {
      MAESTRO_WORKER_PROCESSES: 'workflows,orchestrator,tester,runner,council;developer;models',
      MAESTRO_SHUTDOWN_GRACE_MS: String(GRACE_MS),
    },
    { config: () => ({ models: { registry: { scripted: { inputPerMillion: 2.5, outputPerMillion: 10 } } } }) },
  );
});

afterAll(async () => {
  await harness?.close();
});

/** The agents of a subtask, with one phase's first model answer held far longer than the grace time. */
function withHeldTurn(key: string, phase: string) {
  return cartTaxConversations(key).map((conversation) =>
    conversation.match.phase === phase
      ? {
          ...conversation,
          turns: conversation.turns.map((turn, index) => (index === 0 ? { ...turn, delayMs: HELD_MS } : turn)),
        }
      : conversation,
  );
}

/** Sends SIGTERM to the worker process of these queues; resolves with how it ended and how long it took. */
async function terminate(queues: string) {
  const worker = descendantsOf(harness.maestro.pid).find((entry) => entry.command.includes(`--queues ${queues}`))!;
  const started = Date.now();
  process.kill(worker.pid, 'SIGTERM');
  const exit = await harness.maestro.waitForLog(
    (record) => record.pid === worker.pid && typeof record.msg === 'string' && / (exited|was killed)/.test(record.msg),
    GRACE_MS + 30_000,
  );
  const stopped = harness.maestro.records.find((record) => record.msg === 'stopped' && record.pid === worker.pid);
  return { elapsedMs: Date.now() - started, exit, stopped };
}

/** Starts a subtask whose phase's first model answer is held, and waits until that phase has asked for it. */
async function startHeld(project: string, key: string, phase: string) {
  await harness.sampleProject(project);
  harness.script(...withHeldTurn(key, phase));
  const { workflowId } = await harness.api.subtask.start.mutate({ project, key, risk: 'low', ...CART_TAX_SPEC });
  await eventually(
    () => harness.scripted.requests.find((request) => request.key === key && request.phase === phase),
    90_000,
    `${phase} to ask the model`,
  );
  return workflowId;
}

/** The subtask completes, and the phase whose worker was stopped used its first attempt only. */
async function expectCompletedInOneAttempt(project: string, key: string, phase: string) {
  await harness.waitFor(project, key, (state) => state.status === 'completed', 'the subtask to complete', 180_000);
  const asked = harness.scripted.requests.filter((request) => request.key === key && request.phase === phase);
  expect(asked.map((request) => request.attempt)).toEqual(asked.map(() => 1));
}

// Each waits for a stack to stop a process, restart it and carry a subtask to its end: minutes on a loaded machine.
describe('a worker process told to stop (SIGTERM) with work in flight', () => {
  test('an agent waiting on its model: the worker stops by itself within its grace time, and the run is handed back', async () => {
    await startHeld('drain-agent', '30-1', 'green');
    const { elapsedMs, exit, stopped } = await terminate('developer');
    console.log(`developer (agent waiting on its model) stopped in ${elapsedMs} ms: ${exit.msg}`);
    expect(exit.signal).toBeNull();
    expect(stopped).toBeDefined();
    expect(elapsedMs).toBeLessThan(GRACE_MS);
    await expectCompletedInOneAttempt('drain-agent', '30-1', 'green');
  }, 300_000);

  test('the model gateway with a call in flight: it stops within its grace time, and the call goes to the next gateway without costing the agent its attempt', async () => {
    await startHeld('drain-model', '31-1', 'red');
    const { elapsedMs, exit, stopped } = await terminate('models');
    console.log(`models (a call in flight) stopped in ${elapsedMs} ms: ${exit.msg}`);
    expect(exit.signal).toBeNull();
    expect(stopped).toBeDefined();
    expect(elapsedMs).toBeLessThan(GRACE_MS);
    await expectCompletedInOneAttempt('drain-model', '31-1', 'red');
  }, 300_000);

  test('the process of the workflows and the tester, with the tester waiting on its model: it stops within its grace time', async () => {
    await startHeld('drain-main', '32-1', 'red');
    const { elapsedMs, exit, stopped } = await terminate('workflows,orchestrator,tester,runner,council');
    console.log(`workflows+tester (agent waiting on its model) stopped in ${elapsedMs} ms: ${exit.msg}`);
    expect(exit.signal).toBeNull();
    expect(stopped).toBeDefined();
    expect(elapsedMs).toBeLessThan(GRACE_MS);
    await expectCompletedInOneAttempt('drain-main', '32-1', 'red');
  }, 300_000);
});

describe('a model gateway killed (SIGKILL) mid-call', () => {
  test('the call it had sent is in the ledger at the most it can cost, and the call goes to the next gateway', async () => {
    const workflowId = await startHeld('kill-model', '33-1', 'red');
    const gateway = descendantsOf(harness.maestro.pid).find((entry) => entry.command.includes('--queues models'))!;
    const sent = await eventually(
      () =>
        harness.prisma.modelCall
          .findFirst({ where: { workflowId, phase: 'red', outcome: 'sent' } })
          .then((row) => row ?? undefined),
      10_000,
      "the held call's line in the ledger",
    );
    process.kill(gateway.pid, 'SIGKILL');
    await harness.maestro.waitForLog((record) => record.msg === 'worker:models restarted', 15_000);

    await expectCompletedInOneAttempt('kill-model', '33-1', 'red');
    const interrupted = await harness.prisma.modelCall.findUniqueOrThrow({ where: { id: sent.id } });
    // Still on its way as far as the ledger can tell (the sweep makes it unknown past its time, at
    // its reserve), with the most it can cost reserved: more than the same call cost when answered.
    expect(interrupted).toMatchObject({ outcome: 'sent', estimated: true });
    expect(interrupted.inputTokens).toBeGreaterThan(1_000);
    const answered = await harness.prisma.modelCall.findMany({ where: { workflowId, phase: 'red', outcome: 'ok' } });
    expect(answered.length).toBeGreaterThan(0);
    expect(Number(answered[0]!.costUsd)).toBeGreaterThan(0);
    expect(Number(interrupted.reservedUsd)).toBeGreaterThan(Number(answered[0]!.costUsd));
    const redFirstTurns = harness.scripted.requests.filter(
      (request) => request.key === '33-1' && request.phase === 'red' && request.turn === 0,
    );
    expect(redFirstTurns).toHaveLength(2);
  }, 300_000);
});
