import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { formatUsdExact, parseUsd } from '../domain/money.js';
import {
  CART_TAX_SPEC,
  CART_TAX_VERDICTS,
  FILES,
  cartTaxConversations,
  finish,
} from '../stack/demo/cart-tax-script.js';
import type { ScriptedConversation } from '../stack/scripted-model/script.js';
import { descendantsOf, eventually } from './support/maestro-process.js';
import { type SubtaskHarness, startSubtaskHarness } from './support/subtask-harness.js';

/**
 * Budgets are the workflow's: every call costs exactly one cent here (10,000 input tokens at $1 per
 * million), so each tier must trip at the call that reaches it — with a worker killed on the way.
 */
const KEYS = { OPENAI_API_KEY: 'sk-test-openai-budget-0000000000000000' };
const ONE_CENT = { inputTokens: 10_000, outputTokens: 0 };
const priced = {
  provider: 'openai',
  contextWindow: 128_000,
  inputPerMillion: 1,
  outputPerMillion: 1,
  toolCalling: true,
  maxConcurrent: 4,
};

let harness: SubtaskHarness;

beforeAll(async () => {
  harness = await startSubtaskHarness(
    'budgets',
    // Calls time out after ten minutes here: the call killed with its gateway stays `sent` (costing
    // nothing yet) for the whole test, instead of turning `unknown` (at its reserve) part of the way.
    { MAESTRO_MODEL_BASE_URL: '', MAESTRO_MODEL: '', MAESTRO_MODEL_CALL_TIMEOUT_MS: '600000', ...KEYS },
    {
      config: (scripted) => ({
        models: {
          providers: { openai: { baseUrl: `${scripted.origin}/openai/v1` } },
          registry: { 'strong-metered': priced, 'cheap-metered': priced },
          routing: {
            strategic: ['strong-metered'],
            tactical: { cheap: ['cheap-metered'], strong: ['strong-metered'] },
            strongest: ['strong-metered'],
          },
        },
      }),
    },
  );
});
afterAll(() => harness?.close());

/** A third criterion, for strong routing; the rounding test shows it. */
const RECEIPT_CRITERION = 'the receipt rounds every amount to cents';
const VERDICTS = [
  ...CART_TAX_VERDICTS,
  { index: 3, met: true, evidence: [{ file: FILES.redTest.path, test: 'total rounds to cents' }] },
];

/** The cart-tax script with every answer costing a cent; green's first answer is held, to kill the worker while it is awaited. */
function centPerCall(key: string): ScriptedConversation[] {
  return cartTaxConversations(key).map((conversation) => ({
    ...conversation,
    turns: conversation.turns.map((turn, index, turns) => ({
      ...(conversation.match.phase === 'verify' && index === turns.length - 1
        ? finish('All three criteria are met and every test passes.', VERDICTS)
        : turn),
      usage: ONE_CENT,
      ...(conversation.match.phase === 'green' && index === 0 ? { holdUntil: 'green' } : {}),
    })),
  }));
}

const eventsOf = (workflowId: string, kind: string) =>
  harness.prisma.activityEvent.findMany({ where: { workflowId, kind }, orderBy: { id: 'asc' } });
/** The lines of calls never answered to us (cancelled mid-way): each costs the most it could. */
const unknownOf = async (subtaskId: string) => {
  const calls = await harness.prisma.modelCall.findMany({ where: { subtaskId, outcome: 'unknown' } });
  return { calls, total: calls.reduce((sum, call) => sum + parseUsd(call.costUsd.toFixed(12)), 0n) };
};
const ledgerOf = async (subtaskId: string) => {
  const calls = await harness.prisma.modelCall.findMany({ where: { subtaskId, outcome: 'ok' } });
  return { calls, total: formatUsdExact(calls.reduce((sum, call) => sum + parseUsd(call.costUsd.toFixed(12)), 0n)) };
};

describe('budget tiers in a durable workflow', () => {
  test('soft downgrades, hard holds, emergency stops a run mid-way; a killed worker charges nothing twice', async () => {
    // Tiers in cents: soft at 5 calls, hard at 10. Strong routing: medium risk, three files, three criteria.
    await harness.sampleProject('metered', { budget: { softUsd: 0.05, hardUsd: 0.1, emergencyUsd: 0.5 } });
    harness.script(...centPerCall('30-1'));
    const { workflowId, subtaskId } = await harness.api.subtask.start.mutate({
      project: 'metered',
      key: '30-1',
      risk: 'medium',
      ...CART_TAX_SPEC,
      filesInScope: ['src/cart.js', 'src/checkout.js', 'src/index.js'],
      acceptanceCriteria: [...CART_TAX_SPEC.acceptanceCriteria, RECEIPT_CRITERION],
    });

    // Red costs 4 cents; green's first call is held when the worker is killed: it is never answered,
    // so it costs nothing yet, and its line holds what it may cost at most.
    await eventually(
      () => harness.scripted.requests.find((request) => request.key === '30-1' && request.phase === 'green'),
      120_000,
      'green to call its model',
    );
    // The process of the model gateway (and the workflows), by default apart from the agents'.
    const worker = descendantsOf(harness.maestro.pid).find((entry) =>
      entry.command.includes('--queues workflows,models'),
    )!;
    process.kill(worker.pid, 'SIGKILL');
    await harness.maestro.waitForLog(
      (record) => typeof record.msg === 'string' && record.msg.endsWith('restarted') && record.pid !== worker.pid,
      15_000,
    );
    harness.scripted.openGate('green');

    // Green is done again on the restarted worker (4 cents: 8 in all), then refactor starts over the soft limit.
    const held = await harness.waitFor(
      'metered',
      '30-1',
      (state) => state.status === 'blocked',
      'the hard limit to hold the subtask',
      150_000,
    );
    expect(held.blocked).toMatchObject({
      options: ['raise_budget', 'cancel'],
      reason: "budget: $0.10 spent of the $0.10 hard limit; raise the project's limits or cancel",
    });
    expect(held.phase).toBe('integration_red');
    expect(held.budget).toMatchObject({ tier: 'hard', spentUsd: '0.100000000000' });

    const handoffs = (await eventsOf(workflowId, 'phase.handoff')).map(
      (event) => event.data as { phase: string; model: string },
    );
    expect(
      handoffs
        .filter((handoff) => handoff.phase === 'red' || handoff.phase === 'green')
        .every((handoff) => handoff.model === 'strong-metered'),
    ).toBe(true);
    expect(handoffs.filter((handoff) => handoff.phase === 'refactor').map((handoff) => handoff.model)).toEqual([
      'cheap-metered',
    ]);
    const soft = await eventsOf(workflowId, 'budget.soft');
    expect(soft).toHaveLength(1);
    expect(soft[0]!.data).toMatchObject({ tier: 'soft', spentUsd: '0.080000000000' });
    expect(soft[0]!.message).toBe(
      'budget warning: $0.08 spent of the $0.05 soft limit; routine work goes to the cheaper models',
    );
    expect((await ledgerOf(subtaskId)).total).toBe('0.100000000000');
    const killed = await harness.prisma.modelCall.findMany({ where: { subtaskId, outcome: 'sent' } });
    expect(killed.map((call) => [call.phase, call.costUsd.toFixed(2), call.estimated])).toEqual([
      ['green', '0.00', true],
    ]);
    expect(Number(killed[0]!.reservedUsd)).toBeGreaterThan(0);

    // A change that leaves it over the limit holds it again, with a new escalation; a pause given meanwhile holds after the raise.
    await expect(
      harness.api.project.setBudget.mutate({ name: 'metered', hardUsd: 0.2, emergencyUsd: 0.15, reason: 'x' }),
    ).rejects.toThrow(/say why/);
    await expect(
      harness.api.project.setBudget.mutate({
        name: 'metered',
        hardUsd: 0.2,
        emergencyUsd: 0.15,
        reason: 'finish the cart',
      }),
    ).rejects.toThrow(/the tiers must rise/);
    await harness.api.project.setBudget.mutate({ name: 'metered', softUsd: 0.06, reason: 'a later warning' });
    await eventually(
      async () => ((await harness.prisma.escalation.count({ where: { subtaskId } })) === 2 ? true : undefined),
      30_000,
      'a second budget hold',
    );
    expect((await harness.api.subtask.state.query({ project: 'metered', key: '30-1' })).blocked?.reason).toMatch(
      /\$0\.10 spent of the \$0\.10 hard limit/,
    );
    await harness.api.subtask.override.mutate({
      project: 'metered',
      key: '30-1',
      override: { action: 'pause', reason: 'look at the spend first' },
    });
    await harness.api.project.setBudget.mutate({
      name: 'metered',
      hardUsd: 0.12,
      emergencyUsd: 0.12,
      reason: 'two more calls only',
    });
    await eventually(
      async () =>
        (await harness.prisma.escalation.count({ where: { subtaskId, status: 'resolved' } })) === 2 ? true : undefined,
      30_000,
      'the raise to be seen',
    );
    await sleep(2_000);
    expect(
      harness.scripted.requests.filter((request) => request.key === '30-1' && request.phase === 'integration_red'),
    ).toEqual([]);
    expect(await harness.api.subtask.state.query({ project: 'metered', key: '30-1' })).toMatchObject({
      paused: true,
      phase: 'integration_red',
    });
    await harness.api.subtask.override.mutate({ project: 'metered', key: '30-1', override: { action: 'resume' } });

    // Then a single run crosses the emergency limit, which stops it mid-way.
    const stopped = await harness.waitFor(
      'metered',
      '30-1',
      (state) => state.status === 'blocked' && state.budget?.tier === 'emergency',
      'the emergency limit',
    );
    // The call in flight when the run was stopped may cost its reserve on top (it was cancelled, not answered).
    expect(stopped.blocked!.reason).toMatch(
      /^budget: \$0\.12\d* spent of the \$0\.12 emergency limit; raise the project's limits or cancel$/,
    );
    const emergencyStop = await eventsOf(workflowId, 'budget.emergency_stop');
    expect(emergencyStop).toHaveLength(1);
    expect(emergencyStop[0]!.message).toMatch(
      /^integration_red attempt 1 on cheap-metered stopped: Stopped: the project spent \$0\.12\d*, at or over its emergency limit of \$0\.12/,
    );
    expect((await ledgerOf(subtaskId)).total).toBe('0.120000000000');

    await harness.api.project.setBudget.mutate({
      name: 'metered',
      hardUsd: 1,
      emergencyUsd: 2,
      reason: 'finish the cart',
    });
    await harness.waitFor(
      'metered',
      '30-1',
      (state) => state.pendingGate?.gate === 'merge',
      'the merge approval (medium risk)',
      150_000,
    );
    await harness.api.subtask.approve.mutate({ project: 'metered', key: '30-1' });
    const done = await harness.waitFor(
      'metered',
      '30-1',
      (state) => state.status === 'completed',
      'the subtask to complete',
      150_000,
    );

    await harness.modelCallsSettled();
    // Exactly one cent per answered call, none charged twice: 4 red + 4 green + 2 refactor + 2 stopped + 3 + 3 integration + 2 verify.
    const ledger = await ledgerOf(subtaskId);
    const answered = harness.scripted.requests.filter(
      (request) => request.key === '30-1' && request.status === 200 && request.answeredAt,
    );
    expect(ledger.calls).toHaveLength(answered.length);
    expect(ledger.calls).toHaveLength(20);
    expect(new Set(ledger.calls.map((call) => call.idempotencyKey)).size).toBe(20);
    expect(ledger.total).toBe('0.200000000000');
    const unknown = await unknownOf(subtaskId);
    expect(unknown.calls.every((call) => call.costUsd.equals(call.reservedUsd!) && call.reservedUsd!.gt(0))).toBe(true);
    const spent = formatUsdExact(parseUsd('0.2') + unknown.total);
    expect(done.costUsd).toBe(spent);
    const budget = await harness.api.costs.budget.query({ project: 'metered' });
    expect(budget).toMatchObject({
      tier: 'soft',
      spentUsd: spent,
      limits: { softUsd: 0.06, hardUsd: 1, emergencyUsd: 2 },
    });
    const changes = await harness.prisma.activityEvent.findMany({
      where: { kind: 'budget.changed' },
      orderBy: { id: 'asc' },
    });
    expect(changes.map((change) => change.actor)).toEqual(['user:local', 'user:local', 'user:local']);
    const escalations = await harness.prisma.escalation.findMany({
      where: { subtaskId },
      orderBy: { createdAt: 'asc' },
    });
    expect(escalations.map((escalation) => [escalation.status, escalation.chosenOption])).toEqual([
      ['resolved', 'raise_budget'],
      ['resolved', 'raise_budget'],
      ['resolved', 'raise_budget'],
    ]);
    await harness.recordHistory(workflowId, 'budget-tiers');
  }, 300_000);

  test('the emergency limit cuts a model call in flight: the run stops within seconds, the call is never answered', async () => {
    await harness.sampleProject('cut-in-flight', { budget: { softUsd: 0.05, hardUsd: 0.1, emergencyUsd: 0.5 } });
    // Red's first answer costs a cent; its second is held at a gate that never opens.
    harness.script(
      ...cartTaxConversations('31-1').map((conversation) => ({
        ...conversation,
        turns: conversation.turns.map((turn, index) => ({
          ...turn,
          usage: ONE_CENT,
          ...(conversation.match.phase === 'red' && index === 1 ? { holdUntil: 'never' } : {}),
        })),
      })),
    );
    const { workflowId, subtaskId } = await harness.api.subtask.start.mutate({
      project: 'cut-in-flight',
      key: '31-1',
      risk: 'low',
      ...CART_TAX_SPEC,
    });
    const redCalls = () =>
      harness.scripted.requests.filter((request) => request.key === '31-1' && request.phase === 'red');
    await eventually(() => (redCalls().length === 2 ? true : undefined), 120_000, "red's second call to be sent");
    // The first step's activity settled its line before the second step started.
    expect((await ledgerOf(subtaskId)).total).toBe('0.010000000000');

    // Spent now: a cent. Lowering the limits to it puts the project at its emergency tier mid-call.
    await harness.api.project.setBudget.mutate({
      name: 'cut-in-flight',
      softUsd: 0.01,
      hardUsd: 0.01,
      emergencyUsd: 0.01,
      reason: 'stop this now',
    });
    const stopped = await harness.waitFor(
      'cut-in-flight',
      '31-1',
      (state) => state.status === 'blocked' && state.budget?.tier === 'emergency',
      'the call in flight to be cut',
      60_000,
    );
    expect(stopped.phase).toBe('red');
    const emergencyStop = await eventsOf(workflowId, 'budget.emergency_stop');
    expect(emergencyStop).toHaveLength(1);
    expect(emergencyStop[0]!.message).toMatch(
      /^red attempt 1 on \S+ stopped: Stopped: the project spent \$0\.01\d*, at or over its emergency limit of \$0\.01/,
    );
    // The held call was cut, not answered: two calls sent, one answered, one cent in the ledger.
    expect(redCalls()).toHaveLength(2);
    expect(redCalls().filter((request) => request.answeredAt)).toHaveLength(1);
    expect((await ledgerOf(subtaskId)).calls).toHaveLength(1);
    expect(await harness.prisma.modelCall.count({ where: { subtaskId, outcome: 'sent' } })).toBe(0);
    await harness.api.subtask.override.mutate({
      project: 'cut-in-flight',
      key: '31-1',
      override: { action: 'cancel', reason: 'the test is over' },
    });
  }, 240_000);
});
