import { describe, expect, test } from 'vitest';
import { parseJUnit, parseJestJson } from './test-report.js';

describe('test reports', () => {
  test('JUnit XML from node --test, with nested describe blocks', () => {
    const xml = `<?xml version="1.0" encoding="utf-8"?>
<testsuites>
  <testcase name="adds" time="0.0017" classname="test"/>
  <testcase name="fails" time="0.0021" classname="test" failure="2 !== 3"><failure type="testCodeFailure" message="2 !== 3">boom</failure></testcase>
  <testsuite name="cart">
    <testcase name="rounds" time="0.001" classname="test"/>
    <testcase name="later" classname="test"><skipped type="todo"/></testcase>
  </testsuite>
</testsuites>`;
    expect(parseJUnit(xml)).toEqual([
      { name: 'adds', status: 'passed', durationMs: 2 },
      { name: 'fails', status: 'failed', durationMs: 2 },
      { name: 'cart › rounds', status: 'passed', durationMs: 1 },
      { name: 'cart › later', status: 'skipped', durationMs: undefined },
    ]);
  });

  test('JUnit XML of runners that name the top suite after the file', () => {
    const xml = `<testsuites name="vitest tests"><testsuite name="src/cart.test.ts"><testcase classname="src/cart.test.ts" name="cart &gt; total" time="0.002"><error message="x"/></testcase></testsuite></testsuites>`;
    expect(parseJUnit(xml)).toEqual([{ name: 'cart > total', status: 'failed', durationMs: 2 }]);
  });

  test('the JSON report of Jest and Vitest', () => {
    const json = JSON.stringify({
      testResults: [
        {
          name: '/repo/cart.test.js',
          assertionResults: [
            { ancestorTitles: ['cart'], title: 'total', fullName: 'cart total', status: 'passed', duration: 3 },
            { ancestorTitles: [], title: 'rounds', status: 'failed', duration: null },
            { ancestorTitles: [], title: 'later', status: 'todo' },
          ],
        },
      ],
    });
    expect(parseJestJson(json)).toEqual([
      { name: 'cart › total', status: 'passed', durationMs: 3 },
      { name: 'rounds', status: 'failed', durationMs: undefined },
      { name: 'later', status: 'skipped', durationMs: undefined },
    ]);
  });
});
