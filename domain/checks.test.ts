import { describe, expect, test } from 'vitest';
import { type Baseline, type SuiteRun, newTestsFail, suitePasses } from './checks.js';

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
    expect(newTestsFail([hung], baseline, 'unit').reason).toMatch(/printed nothing for too long/);
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
