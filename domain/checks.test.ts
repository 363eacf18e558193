import { describe, expect, test } from 'vitest';
import {
  type Baseline,
  type SuiteRun,
  baselineSentence,
  describeRun,
  duration,
  newTestsFail,
  stopSentence,
  suitePasses,
} from './checks.js';
import { problemTypeOf } from './escalation.js';

const baseline: Baseline = {
  passing: { unit: ['adds', 'empty'], integration: ['checkout'] },
  failing: { unit: ['flaky legacy'] },
};

function run(
  suite: 'unit' | 'integration',
  tests: Array<[string, 'passed' | 'failed']> | undefined,
  exitCode = tests?.some(([, s]) => s === 'failed') ? 1 : 0,
): SuiteRun {
  return {
    suite,
    command: suite === 'unit' ? 'npm test' : 'npm run test:integration',
    exitCode,
    outcome: 'exited',
    tests: tests?.map(([name, status]) => ({ name, status })),
    durationMs: 10,
    outputTail: '',
    logFile: `/logs/${suite}.log`,
  };
}

describe('newTestsFail (red)', () => {
  test('passes when new tests fail and old ones pass', () => {
    const verdict = newTestsFail(
      [
        run('unit', [
          ['adds', 'passed'],
          ['empty', 'passed'],
          ['total', 'failed'],
        ]),
        run('integration', [['checkout', 'passed']]),
      ],
      baseline,
      'unit',
    );
    expect(verdict).toMatchObject({ passed: true, newFailingTests: ['total'] });
  });

  test('fails when the new tests already pass', () => {
    const verdict = newTestsFail(
      [
        run('unit', [
          ['adds', 'passed'],
          ['empty', 'passed'],
          ['total', 'passed'],
        ]),
      ],
      baseline,
      'unit',
    );
    expect(verdict.passed).toBe(false);
    expect(verdict.reason).toMatch(/the new tests already pass on the current code \("total"\)/);
  });

  test('fails when there is no new test at all', () => {
    const verdict = newTestsFail(
      [
        run('unit', [
          ['adds', 'passed'],
          ['empty', 'passed'],
        ]),
      ],
      baseline,
      'unit',
    );
    expect(verdict.reason).toMatch(/no new unit test was found/);
  });

  test('fails when it breaks a test that passed before, in any suite', () => {
    const verdict = newTestsFail(
      [
        run('unit', [
          ['adds', 'passed'],
          ['empty', 'passed'],
          ['total', 'failed'],
        ]),
        run('integration', [['checkout', 'failed']]),
      ],
      baseline,
      'unit',
    );
    expect(verdict).toMatchObject({ passed: false, failingTests: ['checkout'] });
    expect(verdict.reason).toMatch(/tests that passed before now fail: "checkout"/);
  });

  test('a test that already failed on the base branch is neither new nor broken', () => {
    const verdict = newTestsFail(
      [
        run('unit', [
          ['adds', 'passed'],
          ['empty', 'passed'],
          ['flaky legacy', 'failed'],
        ]),
      ],
      baseline,
      'unit',
    );
    expect(verdict.reason).toMatch(/no new unit test/);
  });

  test('without a report, reads the exit codes', () => {
    expect(newTestsFail([run('unit', undefined, 1)], { passing: {}, failing: {} }, 'unit')).toMatchObject({
      passed: true,
    });
    expect(newTestsFail([run('unit', undefined, 0)], { passing: {}, failing: {} }, 'unit').reason).toMatch(
      /passes: red tests must fail/,
    );
  });

  test('deleting a test that passed before is not a way to red', () => {
    const verdict = newTestsFail(
      [
        run('unit', [
          ['adds', 'passed'],
          ['total', 'failed'],
        ]),
      ],
      baseline,
      'unit',
    );
    expect(verdict).toMatchObject({ passed: false });
    expect(verdict.reason).toMatch(/tests that passed before are gone: "empty"/);
  });

  test('a hung command is a failure, whatever the tests said', () => {
    const hung = { ...run('unit', [['total', 'failed']]), outcome: 'killed_silent' as const };
    expect(newTestsFail([hung], baseline, 'unit').reason).toMatch(/was stopped as hung after 0 s: it printed nothing/);
  });

  test("without a report, the runner's summary is in the reason, and an uncounted run says so", () => {
    const summarised = {
      ...run('unit', undefined, 1),
      summary: { runner: 'vitest' as const, passed: 55, failed: 1, skipped: 0 },
    };
    expect(newTestsFail([summarised], baseline, 'unit')).toMatchObject({
      passed: true,
      reason:
        "`npm test` fails as it should (exit 1; 55 passed, 1 failed (from vitest's summary); configure a test report to know which tests)",
    });
    const passing = { ...summarised, exitCode: 0, summary: { ...summarised.summary, failed: 0 } };
    expect(newTestsFail([passing], baseline, 'unit').reason).toBe(
      "`npm test` passes (55 passed, 0 failed (from vitest's summary)): red tests must fail before the code exists",
    );
    expect(newTestsFail([run('unit', undefined, 0)], baseline, 'unit').reason).toBe(
      '`npm test` passes: red tests must fail before the code exists',
    );
  });
});

describe('suitePasses (green, refactor, verify)', () => {
  test('passes when everything passes', () => {
    expect(
      suitePasses(
        [
          run('unit', [
            ['adds', 'passed'],
            ['empty', 'passed'],
          ]),
          run('integration', [['checkout', 'passed']]),
        ],
        baseline,
      ),
    ).toMatchObject({
      passed: true,
      reason: 'every test passes',
    });
  });

  test('names the failing tests', () => {
    const verdict = suitePasses(
      [
        run('unit', [
          ['adds', 'passed'],
          ['empty', 'passed'],
          ['total rounds', 'failed'],
        ]),
      ],
      baseline,
    );
    expect(verdict).toMatchObject({ passed: false, failingTests: ['total rounds'] });
    expect(verdict.reason).toBe('1 unit test(s) fail: "total rounds"');
  });

  test('tests already failing on the base branch do not count against the subtask', () => {
    expect(
      suitePasses(
        [
          run('unit', [
            ['adds', 'passed'],
            ['empty', 'passed'],
            ['flaky legacy', 'failed'],
          ]),
        ],
        baseline,
      ).passed,
    ).toBe(true);
  });

  test('nor is deleting one a way to green', () => {
    expect(
      suitePasses([run('unit', [['adds', 'passed']]), run('integration', [['checkout', 'passed']])], baseline).reason,
    ).toMatch(/tests that passed before are gone: "empty"/);
  });

  test('a non-zero exit without a failing test is still a failure', () => {
    expect(suitePasses([run('unit', [['adds', 'passed']], 2)], { passing: {}, failing: {} }).reason).toMatch(
      /exited with 2 although no test failed/,
    );
  });
});

describe('suitePasses without a report', () => {
  const none: Baseline = { passing: {}, failing: {} };

  test("a failing run gives the runner's summary", () => {
    const failing = {
      ...run('unit', undefined, 1),
      summary: { runner: 'jest' as const, passed: 55, failed: 1, skipped: 2 },
    };
    expect(suitePasses([failing], none).reason).toBe(
      "`npm test` exited with 1: 55 passed, 1 failed, 2 skipped (from Jest's summary)",
    );
  });

  test('a passing run says what counted its tests, or that nothing did', () => {
    const counted = {
      ...run('unit', undefined, 0),
      summary: { runner: 'pytest' as const, passed: 56, failed: 0, skipped: 0 },
    };
    expect(suitePasses([counted, run('integration', undefined, 0)], none)).toMatchObject({
      passed: true,
      reason:
        "the suites pass: `npm test`: 56 passed, 0 failed (from pytest's summary); `npm run test:integration` passed (exit code 0), tests not counted",
    });
  });
});

describe('the sentences that print counts', () => {
  test('a baseline of 56 passing tests without a report is counted by the summary, or said uncounted: never 0', () => {
    const counted = {
      ...run('unit', undefined, 0),
      summary: { runner: 'vitest' as const, passed: 56, failed: 0, skipped: 0 },
    };
    expect(baselineSentence([counted])).toBe("56 test(s) pass (from vitest's summary)");
    expect(baselineSentence([run('unit', undefined, 0)])).toBe('`npm test` passed (exit code 0), tests not counted');
    expect(baselineSentence([run('unit', undefined, 1)])).toBe('`npm test` failed (exit code 1), tests not counted');
  });

  test('a baseline with a report counts its tests, the ones already failing apart; several suites each', () => {
    const unit = run('unit', [
      ['adds', 'passed'],
      ['empty', 'passed'],
      ['flaky legacy', 'failed'],
    ]);
    expect(baselineSentence([unit])).toBe("2 test(s) pass, 1 already fail (not this subtask's to fix)");
    expect(baselineSentence([unit, run('integration', undefined, 0)])).toBe(
      "unit: 2 test(s) pass, 1 already fail (not this subtask's to fix); integration: `npm run test:integration` passed (exit code 0), tests not counted",
    );
  });

  test('a stopped command says what was stopped, after how long, and which limit', () => {
    const limits = { silenceKillMs: 60_000, maxDurationMs: 1_800_000 };
    const hung = { ...run('unit', undefined), outcome: 'killed_silent' as const, durationMs: 64_400, limits };
    expect(stopSentence(hung)).toBe(
      '`npm test` was stopped as hung after 64 s: it printed nothing for 60 s, the silence limit (commands.silenceKillMs)',
    );
    const long = { ...hung, outcome: 'killed_max_duration' as const, durationMs: 1_800_400 };
    expect(stopSentence(long)).toBe(
      '`npm test` was stopped after 30 min: it did not finish within 30 min, the time limit (commands.maxDurationMs)',
    );
    expect(describeRun(hung)).toBe(stopSentence(hung));
    expect(baselineSentence([hung])).toBe(stopSentence(hung));
    // The ladder's record files both as hangs.
    expect(problemTypeOf('green', { reason: stopSentence(hung)!, outputTail: '' })).toBe('green/hang');
    expect(problemTypeOf('green', { reason: stopSentence(long)!, outputTail: '' })).toBe('green/hang');
    expect(stopSentence(run('unit', undefined))).toBeUndefined();
  });

  test('durations read as seconds, then minutes', () => {
    expect([duration(400), duration(64_400), duration(120_000), duration(125_000)]).toEqual([
      '0 s',
      '64 s',
      '2 min',
      '2 min 5 s',
    ]);
  });
});
