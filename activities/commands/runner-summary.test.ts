import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { readRunnerSummary, readRunnerSummaryFromLog } from './runner-summary.js';

const sample = (name: string) => readFileSync(path.join(import.meta.dirname, 'runner-samples', `${name}.txt`), 'utf8');

describe("the runner's own summary, from real output", () => {
  test.each([
    ['vitest-failing', { runner: 'vitest', passed: 3, failed: 1, skipped: 2 }],
    ['vitest-passing', { runner: 'vitest', passed: 3, failed: 0, skipped: 2 }],
    ['jest-failing', { runner: 'jest', passed: 3, failed: 1, skipped: 2 }],
    ['jest-passing', { runner: 'jest', passed: 4, failed: 0, skipped: 2 }],
    ['node-test-default-failing', { runner: 'node', passed: 3, failed: 1, skipped: 2 }],
    ['node-test-default-passing', { runner: 'node', passed: 4, failed: 0, skipped: 2 }],
    ['node-test-spec-failing', { runner: 'node', passed: 3, failed: 1, skipped: 2 }],
    ['node-test-spec-passing', { runner: 'node', passed: 4, failed: 0, skipped: 2 }],
    ['mocha-failing', { runner: 'mocha', passed: 2, failed: 1, skipped: 1 }],
    ['mocha-passing', { runner: 'mocha', passed: 3, failed: 0, skipped: 1 }],
    ['uvu-failing', { runner: 'uvu', passed: 3, failed: 1, skipped: 1 }],
    ['uvu-passing', { runner: 'uvu', passed: 4, failed: 0, skipped: 1 }],
    ['tape-failing', { runner: 'tap', passed: 2, failed: 1, skipped: 0 }],
    ['tape-passing', { runner: 'tap', passed: 3, failed: 0, skipped: 0 }],
    ['pytest-failing', { runner: 'pytest', passed: 2, failed: 1, skipped: 2 }],
    ['pytest-q-failing', { runner: 'pytest', passed: 2, failed: 1, skipped: 2 }],
    ['pytest-passing', { runner: 'pytest', passed: 3, failed: 0, skipped: 2 }],
    ['pytest-no-tests', { runner: 'pytest', passed: 0, failed: 0, skipped: 0 }],
    ['pytest-collection-error', { runner: 'pytest', passed: 0, failed: 1, skipped: 0 }],
    // Subtests count: TestRounds fails with its subtest TestRounds/half, TestRounds/whole passes.
    ['go-test-v-failing', { runner: 'go', passed: 3, failed: 2, skipped: 1 }],
    ['go-test-json-failing', { runner: 'go', passed: 3, failed: 2, skipped: 1 }],
  ])('%s', (name, counts) => {
    expect(readRunnerSummary(sample(name))).toEqual(counts);
  });

  test('plain `go test` names no passing test: it is not counted, rather than counted as 0', () => {
    expect(readRunnerSummary(sample('go-test-failing'))).toBeUndefined();
    expect(readRunnerSummary(sample('go-test-passing'))).toBeUndefined();
  });

  test('output without a summary is not counted', () => {
    expect(readRunnerSummary('building...\ndone in 3 s\nok\n')).toBeUndefined();
    expect(readRunnerSummary('')).toBeUndefined();
  });

  test('TAP without closing comments: its top-level ok / not ok lines, SKIP and TODO as skipped', () => {
    const tap = [
      'TAP version 13',
      '1..5',
      'ok 1 - adds',
      'not ok 2 - rounds',
      '  ---',
      '  ok 1 - an indented assertion is not a test',
      '  ...',
      'ok 3 - needs a database # SKIP no database',
      'not ok 4 - someday # TODO',
      'ok 5 - floors',
    ].join('\n');
    expect(readRunnerSummary(tap)).toEqual({ runner: 'tap', passed: 2, failed: 1, skipped: 2 });
  });

  test('colours and carriage returns are no obstacle', () => {
    const coloured = sample('vitest-failing')
      .replace('Tests  1 failed', 'Tests  \x1b[1m\x1b[31m1 failed\x1b[39m\x1b[22m')
      .replaceAll('\n', '\r\n');
    expect(readRunnerSummary(coloured)).toEqual({ runner: 'vitest', passed: 3, failed: 1, skipped: 2 });
  });

  test('every summary of one run adds up (a workspace prints one per package)', () => {
    expect(readRunnerSummary(`${sample('vitest-failing')}\n${sample('vitest-passing')}`)).toEqual({
      runner: 'vitest',
      passed: 6,
      failed: 1,
      skipped: 4,
    });
  });

  test('from a log, only the last run of the command counts (a retried run appends to the same log)', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'maestro-summary-')), 'unit.log');
    writeFileSync(
      file,
      `$ npx vitest run\n${sample('vitest-failing')}\n[maestro] a warning\n$ npx vitest run\n${sample('vitest-passing')}`,
    );
    expect(readRunnerSummaryFromLog(file, 'npx vitest run')).toEqual({
      runner: 'vitest',
      passed: 3,
      failed: 0,
      skipped: 2,
    });
    expect(readRunnerSummaryFromLog(path.join(path.dirname(file), 'missing.log'), 'npx vitest run')).toBeUndefined();
  });
});
