import { describe, expect, test } from 'vitest';
import { DEFAULT_PROVIDERS, DEFAULT_REGISTRY, DEFAULT_ROUTING, type ModelsSnapshot } from './models.js';
import { assessComplexity, chooseModel, hardStopKeywordsIn, type RoutedSpec } from './routing.js';

const spec = (overrides: Partial<RoutedSpec>): RoutedSpec => ({
  title: 'Add tax to the cart',
  description: '',
  acceptanceCriteria: ['adds tax'],
  filesInScope: ['src/cart.js'],
  risk: 'low',
  ...overrides,
});
const models: ModelsSnapshot = { providers: DEFAULT_PROVIDERS, registry: DEFAULT_REGISTRY, routing: DEFAULT_ROUTING };
const everything = { available: Object.keys(DEFAULT_REGISTRY), openCircuits: {} };
const agent = (level: 'cheap' | 'strong' | 'strongest', tier: 'ok' | 'soft' | 'hard' = 'ok') => ({
  purpose: 'agent' as const,
  role: 'developer' as const,
  phase: 'green',
  level,
  tier,
});

describe('routing a table of subtasks', () => {
  const table: Array<[string, RoutedSpec, 'cheap' | 'strong' | 'strongest', number]> = [
    ['one file, low risk, one criterion', spec({}), 'cheap', 0.138],
    [
      'three files, medium risk, three criteria',
      spec({ risk: 'medium', filesInScope: ['a.js', 'b.js', 'c.js'], acceptanceCriteria: ['a', 'b', 'c'] }),
      'strong',
      0.383,
    ],
    ['no files, high risk, one criterion', spec({ risk: 'high', filesInScope: [] }), 'cheap', 0.278],
    ['ten files, low risk', spec({ filesInScope: Array.from({ length: 12 }, (_, i) => `f${i}.js`) }), 'strong', 0.498],
    ['a schema change', spec({ title: 'Add a column to the orders schema' }), 'strongest', 0.138],
    ['auth in a file path', spec({ filesInScope: ['src/auth/login.js'] }), 'strongest', 0.138],
    ['payment in a criterion', spec({ acceptanceCriteria: ['the Payment is captured once'] }), 'strongest', 0.138],
  ];
  test.each(table)('%s', (_name, subtask, level, score) => {
    const assessed = assessComplexity(subtask, DEFAULT_ROUTING);
    expect(assessed.level).toBe(level);
    expect(assessed.score).toBeCloseTo(score, 2);
    expect(assessed.reason.length).toBeGreaterThan(10);
  });

  test('keywords match words, their plurals, camelCase parts and paths — never a longer word', () => {
    const found = (subtask: Partial<RoutedSpec>) => hardStopKeywordsIn(spec(subtask), DEFAULT_ROUTING.hardStopKeywords);
    expect(found({ title: 'Author names on the invoice' })).toEqual([]);
    expect(found({ description: 'Fix the OAuth callback (auth)' })).toEqual(['auth']);
    expect(found({ filesInScope: ['prisma/migrations/002.sql'] })).toEqual(['migration']);
    expect(found({ title: 'Refund payments' })).toEqual(['payment']);
    expect(found({ filesInScope: ['src/PaymentService.ts'] })).toEqual(['payment']);
    expect(found({ filesInScope: ['src/userAuth.js'] })).toEqual(['auth']);
    expect(found({ title: 'Update DB schemas' })).toEqual(['schema']);
    expect(hardStopKeywordsIn(spec({ title: 'Rotate the API key store' }), ['key store', 'secret'])).toEqual([
      'key store',
    ]);
  });
});

describe('choosing the model', () => {
  test('cheap and strong subtasks get the first model of their list', () => {
    expect(chooseModel(models, agent('cheap'), everything)).toMatchObject({ model: 'gpt-4o-mini', downgraded: false });
    expect(chooseModel(models, agent('strong'), everything)).toMatchObject({ model: 'claude-sonnet-4-5' });
    expect(chooseModel(models, { purpose: 'strategic' }, everything)).toMatchObject({ model: 'claude-sonnet-4-5' });
  });

  test('the soft limit downgrades strong work to the cheap models, but never a hard-stop subtask', () => {
    expect(chooseModel(models, agent('strong', 'soft'), everything)).toMatchObject({
      model: 'gpt-4o-mini',
      downgraded: true,
      reason: expect.stringMatching(/soft budget/),
    });
    expect(chooseModel(models, agent('strongest', 'soft'), everything)).toMatchObject({
      model: 'claude-opus-4-1',
      downgraded: false,
    });
  });

  test('a provider without its key is left out; an open circuit passes the work to the fallback', () => {
    const noAnthropic = {
      available: everything.available.filter((id) => DEFAULT_REGISTRY[id]!.provider !== 'anthropic'),
      openCircuits: {},
    };
    expect(chooseModel(models, agent('strong'), noAnthropic)).toMatchObject({ model: 'gpt-5', passedOver: [] });
    const failing = chooseModel(models, agent('strong'), {
      available: everything.available,
      openCircuits: { anthropic: '2026-11-22T12:00:00.000Z' },
    });
    expect(failing).toMatchObject({
      model: 'gpt-5',
      passedOver: [{ model: 'claude-sonnet-4-5', provider: 'anthropic', until: '2026-11-22T12:00:00.000Z' }],
    });
  });

  test('a council champion is tried first, when it is in the list', () => {
    const decision = chooseModel(
      models,
      { ...agent('cheap'), prefer: { model: 'gemini-2.5-flash', why: 'won 4 of 5 green councils' } },
      everything,
    );
    expect(decision).toMatchObject({
      model: 'gemini-2.5-flash',
      reason: 'the cheap models of the developer in green; gemini-2.5-flash first: won 4 of 5 green councils',
    });
    expect(
      chooseModel(models, { ...agent('cheap'), prefer: { model: 'claude-opus-4-1', why: 'x' } }, everything).model,
    ).toBe('gpt-4o-mini');
  });

  test('per-phase and per-role preferences come before the tactical defaults', () => {
    const custom: ModelsSnapshot = {
      ...models,
      routing: {
        ...DEFAULT_ROUTING,
        roles: { developer: { cheap: ['deepseek-chat'] } },
        phases: { green: { cheap: ['gemini-2.5-flash'] } },
      },
    };
    expect(chooseModel(custom, agent('cheap'), everything).model).toBe('gemini-2.5-flash');
    expect(chooseModel(custom, { ...agent('cheap'), phase: 'refactor' }, everything).model).toBe('deepseek-chat');
  });

  test('nothing to call: the reason names each model, and waiting helps when only circuits are open', () => {
    const onlyOpenAI = { available: ['gpt-4o-mini'], openCircuits: { openai: '2026-11-22T12:01:00.000Z' } };
    const none = chooseModel(models, agent('cheap'), onlyOpenAI);
    expect(none).toMatchObject({ model: undefined, retryAt: '2026-11-22T12:01:00.000Z' });
    expect(none.reason).toMatch(/gpt-4o-mini \(openai failing/);
    expect(none.reason).toMatch(/no key for their provider/);
    expect(chooseModel(models, agent('cheap'), { available: [], openCircuits: {} })).toMatchObject({
      model: undefined,
      retryAt: undefined,
    });
  });
});
