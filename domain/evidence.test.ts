import { describe, expect, test } from 'vitest';
import type { SuiteRun } from './checks.js';
import {
  type CriterionVerdict,
  citedFiles,
  judgeCriteria,
  repositoryPath,
  testDeclaration,
  verdictsOfCommit,
} from './evidence.js';

/** A test file's line that calls `fn` with a quoted title (built, so this file holds no focused or skipped test of its own). */
const call = (fn: string, quotedTitle: string) => `${fn}(${quotedTitle}, () => {});`;

const CRITERIA = ['total adds the tax', 'checkout reports the tax'];

const CART_TEST = `test('total adds tax to the subtotal', () => {});\ntest('total rounds to cents', () => {});\n`;
const CHECKOUT_TEST = `describe('checkout', () => {\n  it('reports tax and total', () => {});\n});\n`;
const FILES = new Map<string, string | undefined>([
  ['test/unit/cart-total.test.js', CART_TEST],
  ['test/unit/checkout.test.js', CHECKOUT_TEST],
]);

function run(
  tests: Array<[string, 'passed' | 'failed' | 'skipped']> | undefined,
  suite: 'unit' | 'integration' = 'unit',
): SuiteRun {
  return {
    suite,
    command: 'npm test',
    exitCode: tests?.some(([, status]) => status === 'failed') ? 1 : 0,
    outcome: 'exited',
    tests: tests?.map(([name, status]) => ({ name, status })),
    durationMs: 5,
    outputTail: '',
    logFile: '/logs/unit.log',
  };
}

const REPORT = run([
  ['total adds tax to the subtotal', 'passed'],
  ['total rounds to cents', 'passed'],
  ['checkout › reports tax and total', 'passed'],
]);

const met = (index: number, ...evidence: Array<[string, string]>): CriterionVerdict => ({
  index,
  met: true,
  evidence: evidence.map(([file, name]) => ({ file, test: name })),
});

describe('the evidence behind the verify phase’s verdicts', () => {
  test('every criterion met by tests that exist on the branch and pass in the report: the check passes', () => {
    const judged = judgeCriteria(
      CRITERIA,
      [
        met(1, ['test/unit/cart-total.test.js', 'total adds tax to the subtotal']),
        // Cited by its own title, or with its describe block, as the report names it.
        met(
          2,
          ['./test/unit/checkout.test.js', 'reports tax and total'],
          ['test/unit/checkout.test.js', 'checkout > reports tax and total'],
        ),
      ],
      FILES,
      [REPORT],
    );
    expect(judged.passed).toBe(true);
    expect(judged.criteria.map((criterion) => criterion.met)).toEqual([true, true]);
    expect(judged.reason).toMatch(
      /^every acceptance criterion has passing tests: 1 ← test\/unit\/cart-total\.test\.js/,
    );
  });

  test('a test counts only when a test or it call takes its whole title as a quoted string', () => {
    const file = [
      "test('adds tax', () => {});",
      call('it.only', '"rounds to cents"'),
      'test.concurrent(`keeps the subtotal`, async () => {});',
      "  it(\n    'spans lines',\n    () => {},\n  );",
      '// mentions a title in passing: totals are rounded',
      "const name = 'not a test';",
      "describe('a block', () => {});",
      "test('adds tax and shipping', () => {});",
    ].join('\n');
    expect(testDeclaration(file, 'adds tax')).toBe('declared');
    expect(testDeclaration(file, 'rounds to cents')).toBe('declared');
    expect(testDeclaration(file, 'keeps the subtotal')).toBe('declared');
    expect(testDeclaration(file, 'spans lines')).toBe('declared');
    // In the file, but not as a test's title: a comment, another string, a describe block, part of a title.
    expect(testDeclaration(file, 'totals are rounded')).toBe('none');
    expect(testDeclaration(file, 'not a test')).toBe('none');
    expect(testDeclaration(file, 'a block')).toBe('none');
    expect(testDeclaration(file, 'tax and shipping')).toBe('none');
    expect(testDeclaration(file, 'adds')).toBe('none');
    // Quotes must match, and characters special to a pattern are taken as they are.
    expect(testDeclaration('test(\'mixed", () => {});', 'mixed')).toBe('none');
    expect(testDeclaration("test('costs $1 (plus tax)?', () => {});", 'costs $1 (plus tax)?')).toBe('declared');
    expect(testDeclaration("test('costs 1 plus tax', () => {});", 'costs . plus tax')).toBe('none');
  });

  test('a skipped or todo test is refused, and so is a name too short to be a title', () => {
    for (const skipped of [
      call('test.skip', "'adds tax'"),
      call('it.skip', "'adds tax'"),
      "test.todo('adds tax');",
      "it.concurrent.skip('adds tax', () => {});",
      call('xit', "'adds tax'"),
      "xtest('adds tax', () => {});",
    ])
      expect(testDeclaration(skipped, 'adds tax'), skipped).toBe('skipped');
    // A run of it with a skipped twin is still declared.
    expect(testDeclaration(`${call('test.skip', "'adds tax'")}\n${call('test', "'adds tax'")}`, 'adds tax')).toBe(
      'declared',
    );
    const skippedFile = new Map([
      ['test/unit/cart-total.test.js', call('test.skip', "'total adds tax to the subtotal'")],
    ]);
    const skipped = judgeCriteria(
      CRITERIA.slice(0, 1),
      [met(1, ['test/unit/cart-total.test.js', 'total adds tax to the subtotal'])],
      skippedFile,
      [run(undefined)],
    );
    expect(skipped.passed).toBe(false);
    expect(skipped.reason).toContain('test/unit/cart-total.test.js skips the test "total adds tax to the subtotal"');
    const short = judgeCriteria(
      CRITERIA.slice(0, 1),
      [met(1, ['test/unit/cart-total.test.js', 'to'])],
      new Map([['test/unit/cart-total.test.js', "test('to', () => {});"]]),
      [run(undefined)],
    );
    expect(short.passed).toBe(false);
    expect(short.reason).toContain('"to" is too short to name a test');
  });

  test('a pytest test function or a Go test is cited by its name', () => {
    const python =
      'import pytest\n\ndef test_adds_tax():\n    assert True\n\nclass TestCart:\n    async def test_rounds(self):\n        pass\n';
    expect(testDeclaration(python, 'test_adds_tax')).toBe('declared');
    expect(testDeclaration(python, 'test_rounds')).toBe('declared');
    expect(testDeclaration(python, 'test_adds')).toBe('none');
    const go = 'package cart\n\nfunc TestAddsTax(t *testing.T) {}\n';
    expect(testDeclaration(go, 'TestAddsTax')).toBe('declared');
    expect(testDeclaration(go, 'TestAdds')).toBe('none');
    // Only a test's own form: a helper called test_… in a string is nothing.
    expect(testDeclaration("name = 'test_adds_tax'", 'test_adds_tax')).toBe('none');
  });

  test('a cited test that is not in the file is no evidence: the criterion is not met, and the reason names the test', () => {
    const judged = judgeCriteria(
      CRITERIA,
      [
        met(1, ['test/unit/cart-total.test.js', 'total adds tax to the subtotal']),
        met(2, ['test/unit/checkout.test.js', 'checkout reports the tax line']),
      ],
      FILES,
      [REPORT],
    );
    expect(judged.passed).toBe(false);
    expect(judged.criteria.map((criterion) => criterion.met)).toEqual([true, false]);
    expect(judged.reason).toContain(
      'criterion 2 ("checkout reports the tax"): test/unit/checkout.test.js has no test named "checkout reports the tax line"',
    );
    expect(judged.reason).not.toContain('criterion 1');
  });

  test('a file the branch does not have, or a path outside the repository, is no evidence', () => {
    const judged = judgeCriteria(
      CRITERIA,
      [
        met(1, ['test/unit/missing.test.js', 'total adds tax to the subtotal']),
        met(2, ['../other/checkout.test.js', 'reports tax and total']),
      ],
      new Map([...FILES, ['test/unit/missing.test.js', undefined]]),
      [REPORT],
    );
    expect(judged.passed).toBe(false);
    expect(judged.reason).toContain(
      'criterion 1 ("total adds the tax"): test/unit/missing.test.js is not on the branch',
    );
    expect(judged.reason).toContain(
      'criterion 2 ("checkout reports the tax"): ../other/checkout.test.js is not a path inside the repository',
    );
  });

  test('a test that failed, was skipped or did not run in the verify check is no evidence', () => {
    const report = run([
      ['total adds tax to the subtotal', 'failed'],
      ['checkout › reports tax and total', 'skipped'],
    ]);
    const judged = judgeCriteria(
      CRITERIA,
      [
        met(1, ['test/unit/cart-total.test.js', 'total adds tax to the subtotal']),
        met(2, ['test/unit/checkout.test.js', 'reports tax and total']),
      ],
      FILES,
      [report],
    );
    expect(judged.reason).toContain('"total adds tax to the subtotal" failed in the verify check');
    expect(judged.reason).toContain('"checkout › reports tax and total" was skipped in the verify check');

    const notRun = judgeCriteria(
      CRITERIA.slice(0, 1),
      [met(1, ['test/unit/cart-total.test.js', 'total rounds to cents'])],
      FILES,
      [run([['total adds tax to the subtotal', 'passed']])],
    );
    expect(notRun.passed).toBe(false);
    expect(notRun.reason).toContain(
      '"total rounds to cents" did not run in the verify check (it is not in the test report)',
    );
  });

  test('without a report for every suite, a test the reports do not name is taken on the file’s word', () => {
    const judged = judgeCriteria(
      CRITERIA.slice(0, 1),
      [met(1, ['test/unit/cart-total.test.js', 'total rounds to cents'])],
      FILES,
      [run(undefined)],
    );
    expect(judged.passed).toBe(true);
    // But one the reports do name must have passed.
    const failed = judgeCriteria(
      CRITERIA.slice(0, 1),
      [met(1, ['test/unit/cart-total.test.js', 'total rounds to cents'])],
      FILES,
      [run([['total rounds to cents', 'failed']]), run(undefined, 'integration')],
    );
    expect(failed.passed).toBe(false);
  });

  test('a criterion without a verdict, said not met, or met without evidence is not met; an unknown index is refused', () => {
    const judged = judgeCriteria(
      [...CRITERIA, 'rounds to cents'],
      [{ index: 1, met: true }, { index: 2, met: false, note: 'checkout is not tested' }, met(4, ['a', 'b'])],
      FILES,
      [REPORT],
    );
    expect(judged.passed).toBe(false);
    expect(judged.criteria.map((criterion) => criterion.met)).toEqual([false, false, false]);
    expect(judged.reason).toContain('criterion 1 ("total adds the tax"): no evidence: name the tests that show it');
    expect(judged.reason).toContain(
      'criterion 2 ("checkout reports the tax"): the verifier says it is not met (checkout is not tested)',
    );
    expect(judged.reason).toContain('criterion 3 ("rounds to cents"): no verdict');
    expect(judged.reason).toContain('there is no criterion 4: the criteria are numbered 1 to 3');
    expect(judgeCriteria(CRITERIA, undefined, FILES, [REPORT]).criteria.every((criterion) => !criterion.met)).toBe(
      true,
    );
  });

  test('the cited files, as repository paths, are what the branch is asked for', () => {
    expect(
      citedFiles([
        met(1, ['./test/a.test.js', 'x'], ['test\\b.test.js', 'y']),
        met(2, ['/etc/passwd', 'z'], ['test/a.test.js', 'w']),
      ]),
    ).toEqual(['test/a.test.js', 'test/b.test.js']);
    expect(repositoryPath('test/../src/x.js')).toBe('src/x.js');
    expect(repositoryPath('../x.js')).toBeUndefined();
    expect(repositoryPath('C:/x.js')).toBeUndefined();
  });

  test('the verdicts are read from the last Maestro-Criteria trailer of the commit, validated', () => {
    const trailer = JSON.stringify([met(1, ['test/a.test.js', 'x'])]);
    const message = `[verify] 3-1 Tax (tester)\n\nMaestro-Criteria: not json\n\nMaestro-Attempt: a/b/1\nMaestro-Criteria: ${trailer}`;
    expect(verdictsOfCommit(message).verdicts).toEqual([met(1, ['test/a.test.js', 'x'])]);
    expect(verdictsOfCommit('[verify] no trailer')).toEqual({});
    expect(verdictsOfCommit('Maestro-Criteria: {').problem).toMatch(/not valid JSON/);
    expect(verdictsOfCommit('Maestro-Criteria: [{"index": 0, "met": "yes"}]').problem).toMatch(
      /^the verdicts on the criteria are not in the expected shape \(0\.index/,
    );
  });
});
