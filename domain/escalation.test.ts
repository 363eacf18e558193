import { describe, expect, test } from 'vitest';
import {
  type Candidate,
  callableModels,
  councilMembers,
  councilPreferences,
  humanOptions,
  pickWinner,
  problemTypeOf,
  untriedModel,
} from './escalation.js';

const candidate = (model: string, overrides: Partial<Candidate> = {}): Candidate => ({
  model,
  status: 'proposed',
  sha: `${model}-sha`,
  passedCheck: true,
  testsPassed: 10,
  testsFailed: 0,
  diffLines: 20,
  ...overrides,
});

describe('the council’s judge', () => {
  const right = candidate('b', { testsPassed: 14 });
  const wrong = candidate('a', { passedCheck: false, testsPassed: 12, testsFailed: 2 });
  const alsoWrong = candidate('c', { passedCheck: false, testsPassed: 13, testsFailed: 1 });

  test('test winner: the one that passes, most tests first, then the smallest diff', () => {
    expect(pickWinner('test_winner', [wrong, right, alsoWrong])).toEqual({
      winner: 'b',
      reason: 'passes 14/14, 20 changed lines',
      ranking: ['b', 'a', 'c'],
    });
    const small = candidate('d', { testsPassed: 14, diffLines: 5 });
    expect(pickWinner('test_winner', [right, small]).winner).toBe('d');
  });

  test('nobody passes: no winner, and the reason says what each did', () => {
    const decision = pickWinner('test_winner', [
      wrong,
      candidate('x', { status: 'timed_out', passedCheck: false }),
      candidate('y', { status: 'failed', passedCheck: false }),
    ]);
    expect(decision.winner).toBeUndefined();
    expect(decision.reason).toBe('no candidate passes: a fails 2 test(s); x timed out; y gave no candidate');
  });

  test('majority: the change most candidates made alike', () => {
    const same = [
      candidate('a', { treeSha: 't1', diffLines: 30 }),
      candidate('b', { treeSha: 't1', diffLines: 30 }),
      candidate('c', { treeSha: 't2', testsPassed: 11 }),
    ];
    expect(pickWinner('majority', same)).toMatchObject({
      winner: 'a',
      reason: '2 of 3 passing candidates agree (a, b); passes 10/10',
    });
    expect(
      pickWinner('majority', [candidate('a', { treeSha: 't1' }), candidate('c', { treeSha: 't2', testsPassed: 11 })])
        .reason,
    ).toMatch(/^no two candidates agree; the test winner/);
  });

  test('weighted: by win rate for the problem type, then the tests', () => {
    expect(
      pickWinner('weighted', [candidate('a', { testsPassed: 14 }), candidate('b')], { b: 0.8, a: 0.3 }),
    ).toMatchObject({ winner: 'b', reason: 'win rate 80% for this kind of problem; passes 10/10' });
    expect(pickWinner('weighted', [candidate('a', { testsPassed: 14 }), candidate('b')]).winner).toBe('a');
  });

  test('best reasoning: the judge’s rubric, correctness 40%, reasoning 25%, tests 20%, confidence 15%', () => {
    const scored = [
      candidate('a', { scores: { correctness: 6, reasoning: 9, tests: 8, confidence: 9 } }), // 2.4 + 2.25 + 1.6 + 1.35 = 7.6
      candidate('b', { scores: { correctness: 9, reasoning: 6, tests: 8, confidence: 5 } }), // 3.6 + 1.5 + 1.6 + 0.75 = 7.45
    ];
    expect(pickWinner('best_reasoning', scored)).toMatchObject({
      winner: 'a',
      reason: 'judge score 7.6/10; passes 10/10',
    });
    expect(pickWinner('best_reasoning', [candidate('a'), candidate('b', { testsPassed: 12 })]).reason).toMatch(
      /^the judge gave no scores; the test winner/,
    );
  });
});

describe('the ladder’s other parts', () => {
  test('problem types come from the failure', () => {
    expect(
      problemTypeOf('green', {
        reason: '1 unit test(s) fail: "rounds"',
        outputTail: 'AssertionError [ERR_ASSERTION]: Expected values to be strictly equal',
      }),
    ).toBe('green/assertion');
    expect(problemTypeOf('green', { reason: 'the suite failed', outputTail: 'SyntaxError: Unexpected token }' })).toBe(
      'green/syntax',
    );
    expect(problemTypeOf('red', { reason: 'the new tests already pass: red tests must fail', outputTail: '' })).toBe(
      'red/tests_pass',
    );
    expect(problemTypeOf('verify', { reason: 'odd', outputTail: '' })).toBe('verify/other');
  });

  test('members: one per provider first, as many as asked, only those that can be called', () => {
    const providerOf = (model: string) => ({ a1: 'openai', a2: 'openai', b1: 'anthropic', c1: 'google' })[model];
    expect(councilMembers([], ['a1', 'a2', 'b1', 'c1'], providerOf, ['a1', 'a2', 'b1', 'c1'], 3)).toEqual([
      'a1',
      'b1',
      'c1',
    ]);
    expect(councilMembers([], ['a1', 'a2', 'b1'], providerOf, ['a1', 'a2', 'b1'], 3)).toEqual(['a1', 'b1', 'a2']);
    expect(councilMembers(['c1', 'b1'], ['a1'], providerOf, ['b1', 'c1'], 3)).toEqual(['c1', 'b1']);
    expect(councilMembers([], ['a1', 'b1'], providerOf, ['a1'], 3)).toEqual(['a1']);
  });

  test('a person is offered two to four options, the recommended one first', () => {
    expect(humanOptions({ otherModel: 'gpt-5' }).options).toEqual(['retry_with_model', 'retry', 'skip', 'cancel']);
    expect(humanOptions({ otherModel: 'gpt-5' }).details.retry_with_model).toBe(
      'Try again with another model: gpt-5 has not tried this phase',
    );
    expect(humanOptions({ earlierPhase: 'red' }).options).toEqual(['retry', 'reset', 'skip', 'cancel']);
    expect(humanOptions({}).options).toEqual(['retry', 'skip', 'cancel']);
    const both = humanOptions({ otherModel: 'gpt-5', earlierPhase: 'green' });
    expect(both.options).toEqual(['retry_with_model', 'retry', 'reset', 'cancel']);
    expect(both.details.reset).toBe('Go back to green and redo the work from there');
  });
});

describe('what “retry with another model” offers', () => {
  const models = {
    providers: {},
    registry: {
      cheap: {
        provider: 'a',
        contextWindow: 1,
        inputPerMillion: 0,
        outputPerMillion: 0,
        toolCalling: true,
        maxConcurrent: 1,
      },
      strong: {
        provider: 'b',
        contextWindow: 1,
        inputPerMillion: 0,
        outputPerMillion: 0,
        toolCalling: true,
        maxConcurrent: 1,
      },
      planner: {
        provider: 'c',
        contextWindow: 1,
        inputPerMillion: 0,
        outputPerMillion: 0,
        toolCalling: true,
        maxConcurrent: 1,
      },
    },
    routing: {
      strategic: ['planner'],
      tactical: { cheap: ['cheap'], strong: ['strong'] },
      strongest: ['planner'],
      roles: {},
      phases: {},
      complexityThreshold: 0.3,
      hardStopKeywords: [],
    },
  };
  const everything = { available: ['cheap', 'strong', 'planner'], openCircuits: {} };

  test('the strongest model that can be called and has not tried the phase', () => {
    expect(untriedModel(models, everything, new Set())).toBe('strong');
    expect(untriedModel(models, everything, new Set(['strong']))).toBe('planner');
    expect(untriedModel(models, everything, new Set(['strong']), ['planner'])).toBe('cheap');
    expect(untriedModel(models, everything, new Set(['strong', 'planner', 'cheap']))).toBeUndefined();
  });

  test('a model whose provider’s circuit is open, or that no gateway serves, is not offered', () => {
    expect(
      callableModels(models, { available: ['cheap', 'strong'], openCircuits: { b: '2026-12-03T12:00:00Z' } }),
    ).toEqual(['cheap']);
    expect(
      untriedModel(models, { available: ['cheap', 'strong'], openCircuits: { b: '2026-12-03T12:00:00Z' } }, new Set()),
    ).toBe('cheap');
  });

  test('the council asks the strategic models first', () => {
    expect(councilPreferences(models.routing)).toEqual(['planner', 'strong', 'planner', 'cheap']);
  });
});
