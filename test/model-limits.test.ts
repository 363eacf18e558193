import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  CART_TAX_UNIT_SPEC,
  CART_TAX_UNIT_VERDICTS,
  FILES,
  cartTaxConversations,
  finish,
  runTests,
} from '../stack/demo/cart-tax-script.js';
import type { ScriptedConversation } from '../stack/scripted-model/script.js';
import { type SubtaskHarness, startSubtaskHarness } from './support/subtask-harness.js';

/**
 * Limits that hold for the whole cluster: two processes run agents, one serves the models' queues.
 * `solo` takes one call at a time, `paced` one call every two seconds (Temporal's task-queue rate
 * limit), and `flaky`'s provider fails until its circuit opens and `steady` takes over.
 */
const KEYS = {
  OPENAI_API_KEY: 'sk-test-openai-limits-00000000000000',
  ANTHROPIC_API_KEY: 'sk-ant-test-limits-1111111111111111',
};
const free = { contextWindow: 128_000, inputPerMillion: 0, outputPerMillion: 0, toolCalling: true };

let harness: SubtaskHarness;

beforeAll(async () => {
  harness = await startSubtaskHarness(
    'limits',
    {
      MAESTRO_MODEL_BASE_URL: '',
      MAESTRO_MODEL: '',
      MAESTRO_WORKER_PROCESSES: 'workflows,orchestrator,runner,council,models;tester,developer;tester,developer',
      ...KEYS,
    },
    {
      config: (scripted) => ({
        models: {
          providers: {
            openai: { baseUrl: `${scripted.origin}/openai/v1` },
            anthropic: { baseUrl: `${scripted.origin}/anthropic/v1` },
          },
          registry: {
            solo: { ...free, provider: 'openai', maxConcurrent: 1 },
            paced: { ...free, provider: 'openai', maxConcurrent: 4, requestsPerMinute: 30 },
            flaky: { ...free, provider: 'anthropic', maxConcurrent: 4 },
            steady: { ...free, provider: 'openai', maxConcurrent: 4 },
          },
          routing: {
            tactical: { cheap: ['solo'], strong: ['paced'] },
            strategic: ['flaky', 'steady'],
            strongest: ['flaky', 'steady'],
          },
          circuit: { failureThreshold: 3, cooldownMs: 600_000 },
        },
      }),
    },
  );
});
afterAll(() => harness?.close());

/** Each model answer held a little, so that two subtasks' calls would overlap if nothing stopped them. */
const slowed = (key: string, delayMs: number): ScriptedConversation[] =>
  cartTaxConversations(key, { integration: false }).map((conversation) => ({
    ...conversation,
    turns: conversation.turns.map((turn) => ({ ...turn, delayMs })),
  }));

const arrivals = (model: string) =>
  harness.scripted.requests
    .filter((request) => request.model === model)
    .map((request) => Date.parse(request.at))
    .sort((a, b) => a - b);

describe('limits that hold across workers', () => {
  test('one call at a time for solo, one every two seconds for paced, and a failing provider’s work goes to the fallback', async () => {
    await harness.sampleProject('limits', { withoutIntegration: true });
    harness.script(
      ...slowed('40-1', 500),
      ...slowed('40-2', 500),
      {
        match: { key: '40-3', phase: 'verify' },
        turns: [
          runTests(),
          finish('All three criteria are met.', [
            ...CART_TAX_UNIT_VERDICTS,
            { index: 3, met: true, evidence: [{ file: FILES.redTest.path, test: 'total rounds to cents' }] },
          ]),
        ],
      },
      ...cartTaxConversations('40-3', { integration: false }),
      { match: { key: '40-4', model: 'flaky' }, turns: [{ httpStatus: 500 }] },
      ...cartTaxConversations('40-4', { integration: false }),
    );
    const strong = {
      risk: 'medium' as const,
      filesInScope: ['src/cart.js', 'src/checkout.js', 'src/index.js'],
      acceptanceCriteria: [...CART_TAX_UNIT_SPEC.acceptanceCriteria, 'amounts round to cents'],
    };
    const started = await Promise.all([
      harness.api.subtask.start.mutate({ project: 'limits', key: '40-1', risk: 'low', ...CART_TAX_UNIT_SPEC }),
      harness.api.subtask.start.mutate({ project: 'limits', key: '40-2', risk: 'low', ...CART_TAX_UNIT_SPEC }),
      harness.api.subtask.start.mutate({ project: 'limits', key: '40-3', ...CART_TAX_UNIT_SPEC, ...strong }),
      harness.api.subtask.start.mutate({
        project: 'limits',
        key: '40-4',
        risk: 'low',
        ...CART_TAX_UNIT_SPEC,
        title: 'Add tax to the cart total, with payment rounding',
      }),
    ]);
    await Promise.all(
      ['40-1', '40-2', '40-4'].map((key) =>
        harness.waitFor('limits', key, (state) => state.status === 'completed', `${key} to complete`, 240_000),
      ),
    );
    await harness.waitFor(
      'limits',
      '40-3',
      (state) => state.pendingGate?.gate === 'merge',
      '40-3 to reach its merge gate',
      240_000,
    );
    await harness.api.subtask.approve.mutate({ project: 'limits', key: '40-3' });
    await harness.waitFor('limits', '40-3', (state) => state.status === 'completed', '40-3 to complete', 120_000);

    // solo: the two subtasks wanted it at the same time, and got it one call at a time.
    const of = (key: string) =>
      harness.scripted.requests.filter((request) => request.key === key).map((request) => Date.parse(request.at));
    const [one, two] = [of('40-1'), of('40-2')];
    expect(Math.max(Math.min(...one), Math.min(...two))).toBeLessThan(Math.min(Math.max(...one), Math.max(...two)));
    expect(harness.scripted.maxInFlight('solo')).toBe(1);
    expect(harness.scripted.maxInFlight()).toBeGreaterThan(1);

    // paced: 30 a minute, for the whole cluster. Temporal's limiter lets a pair through now and then,
    // so: no more than 0.5 a second plus that pair in any ten seconds, and the run as slow as the rate.
    const paced = arrivals('paced');
    expect(paced.length).toBeGreaterThanOrEqual(12);
    const busiestTenSeconds = Math.max(
      ...paced.map((at) => paced.filter((other) => other >= at && other < at + 10_000).length),
    );
    expect(busiestTenSeconds).toBeLessThanOrEqual(7);
    expect(paced.at(-1)! - paced[0]!).toBeGreaterThanOrEqual((paced.length - 2) * 2_000);

    // flaky: three failures in a row open anthropic's circuit; steady does the work; it is all in the log.
    const flaky = harness.scripted.requests.filter((request) => request.key === '40-4' && request.model === 'flaky');
    expect(flaky.map((request) => [request.protocol, request.status])).toEqual([
      ['anthropic', 500],
      ['anthropic', 500],
      ['anthropic', 500],
    ]);
    expect(
      new Set(
        harness.scripted.requests
          .filter((request) => request.key === '40-4' && request.model !== 'flaky')
          .map((request) => request.model),
      ),
    ).toEqual(new Set(['steady']));
    const events = await harness.prisma.activityEvent.findMany({
      where: { workflowId: started[3].workflowId },
      orderBy: { id: 'asc' },
    });
    const kinds = events.map((event) => event.kind);
    expect(kinds, events.map((event) => `${event.kind}: ${event.message}`).join('\n')).toEqual(
      expect.arrayContaining(['provider.circuit_open', 'routing.provider_failure', 'routing.fallback']),
    );
    expect(kinds.indexOf('routing.fallback')).toBeGreaterThan(kinds.indexOf('routing.provider_failure'));
    expect(events.find((event) => event.kind === 'routing.fallback')!.message).toMatch(
      /^flaky skipped \(anthropic is failing; tried again after .+\): steady takes the work$/,
    );
    expect(events.find((event) => event.kind === 'provider.circuit_open')!.message).toMatch(
      /^anthropic failed 3 calls in a row \(last: flaky answered 500: .*\): skipped until /,
    );
    const failedCalls = await harness.prisma.modelCall.findMany({
      // A call that was already on its way to the gateway when the circuit opened is skipped there
      // (never sent: its own zero-cost row, saying so); the rows of calls the provider answered are these three.
      where: { subtaskId: started[3].subtaskId, outcome: { notIn: ['ok', 'skipped'] } },
    });
    expect(failedCalls.map((call) => [call.model, call.outcome, call.costUsd.toFixed(2)])).toEqual([
      ['flaky', 'error', '0.00'],
      ['flaky', 'error', '0.00'],
      ['flaky', 'error', '0.00'],
    ]);
    const circuits = await harness.api.models.circuits.query();
    expect(circuits).toContainEqual(
      expect.objectContaining({ provider: 'anthropic', open: true, consecutiveFailures: 3 }),
    );
    await harness.recordHistory(started[3].workflowId, 'provider-fallback');
  }, 420_000);
});
