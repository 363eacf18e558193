import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEFAULT_REGISTRY } from '../domain/models.js';
import { callCost, formatUsdExact, parseUsd } from '../domain/money.js';
import { CART_TAX_SPEC, FILES, cartTaxConversations } from '../stack/demo/cart-tax-script.js';
import type { ScriptedConversation } from '../stack/scripted-model/script.js';
import type { ScriptedModelServer } from '../stack/scripted-model/server.js';
import { git } from '../git/git.js';
import { type SubtaskHarness, startSubtaskHarness } from './support/subtask-harness.js';

/**
 * Models on a real stack: every provider reached through its own protocol (the scripted server
 * speaks them all), through the model gateway; routing, the ledger, the briefing, text-only models.
 */
const KEYS = {
  OPENAI_API_KEY: 'sk-test-openai-aaaaaaaaaaaaaaaaaaaaaaaa',
  ANTHROPIC_API_KEY: 'sk-ant-test-bbbbbbbbbbbbbbbbbbbbbbbb',
  GEMINI_API_KEY: 'AIzaTestCccccccccccccccccccccccccccccc0',
  DEEPSEEK_API_KEY: 'sk-test-deepseek-dddddddddddddddddddd',
};

const providersAt = (scripted: ScriptedModelServer) => ({
  openai: { baseUrl: `${scripted.origin}/openai/v1` },
  anthropic: { baseUrl: `${scripted.origin}/anthropic/v1` },
  google: { baseUrl: `${scripted.origin}/google/v1beta` },
  deepseek: { baseUrl: `${scripted.origin}/deepseek` },
});

/** The refactor phase goes to a model without tool calling (on Gemini's protocol): it answers in file blocks. */
const TEXT_MODEL = 'gemini-text';

let harness: SubtaskHarness;

beforeAll(async () => {
  harness = await startSubtaskHarness(
    'models',
    { MAESTRO_MODEL_BASE_URL: '', MAESTRO_MODEL: '', ...KEYS },
    {
      config: (scripted) => ({
        models: {
          providers: providersAt(scripted),
          registry: {
            [TEXT_MODEL]: {
              provider: 'google',
              model: 'gemini-2.5-flash',
              contextWindow: 1_048_576,
              inputPerMillion: 0.3,
              outputPerMillion: 2.5,
              toolCalling: false,
              maxConcurrent: 2,
            },
          },
          routing: { phases: { refactor: { cheap: [TEXT_MODEL], strong: [TEXT_MODEL] } } },
        },
      }),
    },
  );
});
afterAll(() => harness?.close());

const eventsOf = (workflowId: string) =>
  harness.prisma.activityEvent.findMany({ where: { workflowId }, orderBy: { id: 'asc' } });
const requestsFor = (key: string) => harness.scripted.requests.filter((request) => request.key === key);

/** A refactor by a text-only model: first an answer without a path (refused, with the reason), then a good one. */
function textRefactor(key: string): ScriptedConversation[] {
  const refactored = FILES.greenCode.content.replace('/** The sum of price', '/** The subtotal: the sum of price');
  return [
    {
      match: { key, phase: 'refactor', attempt: 1, model: 'gemini-2.5-flash' },
      turns: [{ content: 'Here is the tidied code:\n\n```js\nexport const x = 1;\n```\n' }],
    },
    {
      match: { key, phase: 'refactor', attempt: 2, model: 'gemini-2.5-flash' },
      turns: [
        { content: `Clarified the comment of subtotal().\n\n\`\`\`js ${FILES.greenCode.path}\n${refactored}\`\`\`\n` },
      ],
    },
  ];
}

describe('routing by complexity, through each provider’s own protocol', () => {
  test('a simple subtask goes to the cheap model (OpenAI), a schema change to the strongest (Anthropic); the ledger is exact and holds no key', async () => {
    await harness.sampleProject('routed');
    harness.script(
      // The first red call of 20-1 comes back without usage: the ledger counts its tokens itself.
      {
        match: { key: '20-1', phase: 'red', attempt: 1 },
        turns: [
          { ...cartTaxConversations('20-1')[0]!.turns[0]!, omitUsage: true },
          ...cartTaxConversations('20-1')[0]!.turns.slice(1),
        ],
      },
      ...textRefactor('20-1'),
      ...cartTaxConversations('20-1'),
      ...cartTaxConversations('20-2'),
    );
    const cheap = await harness.api.subtask.start.mutate({
      project: 'routed',
      key: '20-1',
      risk: 'low',
      ...CART_TAX_SPEC,
    });
    const strongest = await harness.api.subtask.start.mutate({
      project: 'routed',
      key: '20-2',
      risk: 'low',
      ...CART_TAX_SPEC,
      title: 'Add tax to the cart total and its schema',
    });
    const [one, two] = await Promise.all([
      harness.waitFor('routed', '20-1', (state) => state.status === 'completed', '20-1 to complete', 150_000),
      harness.waitFor('routed', '20-2', (state) => state.status === 'completed', '20-2 to complete', 150_000),
    ]);

    // The decisions, on the subtask and in the log.
    expect(one.routing).toMatchObject({ level: 'cheap', hardStop: [] });
    expect(two.routing).toMatchObject({ level: 'strongest', hardStop: ['schema'] });
    const rows = await harness.prisma.subtask.findMany({
      where: { key: { in: ['20-1', '20-2'] } },
      orderBy: { key: 'asc' },
      select: { complexity: true, routing: true },
    });
    expect(rows[0]!.complexity).toBeCloseTo(0.215, 3);
    expect(rows[1]!.routing).toMatchObject({
      level: 'strongest',
      reason: expect.stringMatching(/hard-stop keyword schema/),
    });
    const decided = (await eventsOf(cheap.workflowId)).find((event) => event.kind === 'routing.decided')!;
    expect(decided.message).toMatch(/^routing: complexity 0\.2\d < 0\.30: the cheap models$/);
    const handoffs = (await eventsOf(strongest.workflowId)).filter((event) => event.kind === 'phase.handoff');
    expect(handoffs.every((event) => (event.data as { model: string }).model === 'claude-opus-4-1')).toBe(true);

    // Each subtask's calls went to its models, each through its provider's protocol, with the real key.
    expect(
      new Set(
        requestsFor('20-1')
          .filter((request) => request.phase !== 'refactor')
          .map((request) => `${request.protocol}:${request.model}`),
      ),
    ).toEqual(new Set(['openai:gpt-4o-mini']));
    expect(new Set(requestsFor('20-2').map((request) => `${request.protocol}:${request.model}`))).toEqual(
      new Set(['anthropic:claude-opus-4-1']),
    );
    expect(requestsFor('20-1').find((request) => request.protocol === 'openai')!.headers.authorization).toBe(
      `Bearer ${KEYS.OPENAI_API_KEY}`,
    );
    expect(requestsFor('20-2')[0]!.headers['x-api-key']).toBe(KEYS.ANTHROPIC_API_KEY);

    await harness.modelCallsSettled();
    // The ledger is exact: every answered call's usage at the registry's prices, to the picodollar.
    for (const [key, subtaskId] of [
      ['20-1', cheap.subtaskId],
      ['20-2', strongest.subtaskId],
    ] as const) {
      const calls = await harness.prisma.modelCall.findMany({
        where: { subtaskId, outcome: 'ok' },
        orderBy: { occurredAt: 'asc' },
      });
      const answered = requestsFor(key).filter((request) => request.status === 200 && request.answeredAt);
      expect(calls).toHaveLength(answered.length);
      const reported = answered.filter((request) => request.usage);
      const expected = reported.reduce((sum, request) => {
        const model =
          request.model === 'gemini-2.5-flash'
            ? { inputPerMillion: 0.3, outputPerMillion: 2.5 }
            : DEFAULT_REGISTRY[request.model]!;
        return (
          sum +
          callCost(
            {
              inputTokens: request.usage!.inputTokens,
              outputTokens: request.usage!.outputTokens,
              cachedInputTokens: request.usage!.cachedInputTokens,
            },
            model,
          )
        );
      }, 0n);
      const ledger = calls
        .filter((call) => !call.estimated)
        .reduce((sum, call) => sum + parseUsd(call.costUsd.toFixed(12)), 0n);
      expect(formatUsdExact(ledger)).toBe(formatUsdExact(expected));
      // Estimated exactly where the provider reported no usage (the scripted first red turn of 20-1,
      // and its repeat if a busy machine made Temporal run that attempt again).
      expect(calls.filter((call) => call.estimated)).toHaveLength(answered.length - reported.length);
      expect(answered.length - reported.length).toBeGreaterThanOrEqual(key === '20-1' ? 1 : 0);
    }
    const estimated = await harness.prisma.modelCall.findFirstOrThrow({
      where: { subtaskId: cheap.subtaskId, estimated: true },
    });
    expect(estimated.inputTokens).toBeGreaterThan(100);
    expect(one.costUsd).toBe(
      formatUsdExact(
        (await harness.prisma.modelCall.findMany({ where: { subtaskId: cheap.subtaskId } })).reduce(
          (sum, call) => sum + parseUsd(call.costUsd.toFixed(12)),
          0n,
        ),
      ),
    );

    // Costs per model, project, subtask and day.
    const costs = await harness.api.costs.summary.query({ project: 'routed' });
    expect(costs.byModel.map((line) => line.key).sort()).toEqual(['claude-opus-4-1', 'gemini-text', 'gpt-4o-mini']);
    expect(costs.bySubtask.map((line) => line.key).sort()).toEqual(['routed/20-1', 'routed/20-2']);
    expect(costs.byDay.reduce((sum, day) => sum + parseUsd(day.costUsd), 0n)).toBe(parseUsd(costs.total.costUsd));
    expect(costs.byProject).toEqual([expect.objectContaining({ key: 'routed', costUsd: costs.total.costUsd })]);

    // No key anywhere: not in the ledger, the audit log, the logs, or what Temporal stored of a model call.
    const stored = JSON.stringify(
      [
        await harness.prisma.modelCall.findMany(),
        await harness.prisma.activityEvent.findMany(),
        await harness.prisma.escalation.findMany(),
      ],
      (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value),
    );
    const logs = readdirSync(path.join(harness.dataDir, 'logs'))
      .map((file) => readFileSync(path.join(harness.dataDir, 'logs', file), 'utf8'))
      .join('\n');
    // The agents' model calls are steps of their runs' workflows (each call's request and answer is there).
    const histories: string[] = [];
    let agentRuns = 0;
    for await (const execution of harness.temporal.workflow.list({
      query: "WorkflowType = 'agentRunWorkflow' OR WorkflowType = 'modelCallWorkflow'",
    })) {
      if (execution.type === 'agentRunWorkflow') agentRuns++;
      histories.push(JSON.stringify(await harness.temporal.workflow.getHandle(execution.workflowId).fetchHistory()));
    }
    expect(agentRuns).toBeGreaterThan(10);
    expect(histories.join('\n')).toContain('agentModelStep');
    const history = histories.join('\n');
    for (const key of Object.values(KEYS)) {
      expect(stored).not.toContain(key);
      expect(logs).not.toContain(key);
      expect(history).not.toContain(key);
    }
  }, 300_000);

  test('a model without tool calling answers in file blocks; a malformed answer is refused with a reason the next attempt reads', async () => {
    const workflowId = 'subtask-routed-20-1';
    const transitions = (await eventsOf(workflowId))
      .filter((event) => event.kind === 'subtask.transition')
      .map((event) => event.message);
    const failed = transitions.find((message) => /refactor attempt 1 failed/.test(message));
    expect(failed, transitions.join('\n')).toMatch(/has no file path: write it after the opening fence/);
    // One call for the refused answer — the agent's failure, not the provider's: no re-routing.
    expect(requestsFor('20-1').filter((request) => request.phase === 'refactor' && request.attempt === 1)).toHaveLength(
      1,
    );
    expect((await eventsOf(workflowId)).filter((event) => event.kind === 'routing.provider_failure')).toEqual([]);
    const second = requestsFor('20-1').find((request) => request.phase === 'refactor' && request.attempt === 2)!;
    expect(second.protocol).toBe('google');
    expect(second.task).toMatch(/has no file path/);
    expect(second.task).toContain('## Briefing');
    const state = await harness.api.subtask.state.query({ project: 'routed', key: '20-1' });
    const refactor = await git(
      (await harness.prisma.project.findUniqueOrThrow({ where: { name: 'routed' } })).repoPath,
      ['show', '--format=%s', '--name-only', state.shas.refactor!],
    );
    expect(refactor).toBe(`[refactor] 20-1 ${CART_TAX_SPEC.title} (developer)\n\nsrc/cart.js`);
  });

  test('agent.briefing gives the subtask, its checklist, the requirements, the files with snippets, the last events and what is open', async () => {
    const row = await harness.prisma.subtask.findFirstOrThrow({ where: { key: '20-1' } });
    const briefing = await harness.api.agent.briefing.query({ subtaskId: row.id });
    expect(briefing.subtask).toMatchObject({
      key: '20-1',
      project: 'routed',
      status: 'completed',
      acceptanceCriteria: CART_TAX_SPEC.acceptanceCriteria,
    });
    expect(briefing.progress).toBe('9/9');
    expect(briefing.requirements.tester).toMatch(/red: Write unit tests/);
    expect(briefing.requirements.developer).toMatch(/Writes only \*\*/);
    expect(briefing.relevantFiles.map((file) => `${file.path} (${file.why})`)).toEqual(
      expect.arrayContaining([
        'src/cart.js (in scope)',
        'src/checkout.js (in scope)',
        'test/unit/cart.test.js (a test of a file in scope)',
      ]),
    );
    expect(briefing.relevantFiles.find((file) => file.path === 'src/cart.js')!.snippet).toContain(
      'export function total(items, taxRate)',
    );
    expect(briefing.recentEvents).toHaveLength(10);
    expect(briefing.openQuestions).toEqual([]);
    await expect(harness.api.agent.briefing.query({ subtaskId: 'not-a-uuid' })).rejects.toThrow(
      /give the subtask id \(a UUID\)/,
    );
  });

  test('models.status says which providers have their key and what routing picks first', async () => {
    const status = await harness.api.models.status.query();
    expect(
      status.providers
        .filter((provider) => provider.available)
        .map((provider) => provider.provider)
        .sort(),
    ).toEqual(['anthropic', 'deepseek', 'google', 'openai']);
    expect(status.routing).toEqual({
      strategic: 'claude-sonnet-4-5',
      cheap: 'gpt-4o-mini',
      strong: 'claude-sonnet-4-5',
      strongest: 'claude-opus-4-1',
    });
    const queues = (await harness.api.system.status.query()).queues.filter((queue) => queue.name === 'models');
    expect(queues.map((queue) => queue.taskQueue)).toContain('maestro-model-gpt-4o-mini');
    expect(queues.every((queue) => queue.polled)).toBe(true);
  });
});
