import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { baselineSentence, stopSentence, suitePasses } from '../../domain/checks.js';
import { projectRoot } from '../../runtime/project-root.js';
import { sandboxSupport } from '../../runtime/sandbox.js';
import { describeRuns, runSuites } from './suites.js';

const NO_BASELINE = { passing: {}, failing: {} };

const bwrap = sandboxSupport('required').bwrap ?? 'bwrap';
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'maestro-suites-data-'));

/** A project folder whose commands run in the sandbox, as every project command does. */
function project(files: Record<string, string>) {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'maestro-suites-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(cwd, name), text);
  return { cwd, logDir: path.join(cwd, '.logs'), sandbox: { kind: 'bwrap' as const, bwrap, dataDir, network: false } };
}

const NODE_TESTS = [
  "import { test } from 'node:test';",
  "import assert from 'node:assert/strict';",
  "test('adds', () => assert.equal(1 + 1, 2));",
  "test('subtracts', () => assert.equal(2 - 1, 1));",
  "test('floors', () => assert.equal(Math.floor(1.5), 1));",
  "test('rounds', () => assert.equal(Math.round(1.5), 3));",
].join('\n');

describe('runSuites without a report', () => {
  test("counts the tests by the runner's own summary: node --test", async () => {
    const runs = await runSuites({
      suites: [{ suite: 'unit', command: 'node --test' }],
      ...project({ 'cart.test.mjs': NODE_TESTS }),
      label: 'baseline',
    });
    expect(runs[0]).toMatchObject({ exitCode: 1, summary: { runner: 'node', passed: 3, failed: 1, skipped: 0 } });
    expect(baselineSentence(runs)).toBe("3 test(s) pass, 1 already fail (from node --test's summary)");
    expect(describeRuns(runs)).toContain("## unit: `node --test`: 3 passed, 1 failed (from node --test's summary)");
  });

  test("counts the tests by the runner's own summary: vitest", async () => {
    const vitest = path.join(projectRoot(), 'node_modules', '.bin', 'vitest');
    const tests = Array.from({ length: 56 }, (_, n) => `test('case ${n}', () => expect(${n} + 1).toBe(${n + 1}));`);
    const runs = await runSuites({
      suites: [{ suite: 'unit', command: `${vitest} run --root .` }],
      ...project({ 'cart.test.mjs': ["import { test, expect } from 'vitest';", ...tests].join('\n') }),
      label: 'baseline',
    });
    expect(runs[0]).toMatchObject({ exitCode: 0, summary: { runner: 'vitest', passed: 56, failed: 0, skipped: 0 } });
    expect(baselineSentence(runs)).toBe("56 test(s) pass (from vitest's summary)");
  });

  test('a runner that prints no count is said to be uncounted, not 0', async () => {
    const runs = await runSuites({
      suites: [{ suite: 'unit', command: 'node check.mjs' }],
      ...project({ 'check.mjs': "console.log('all good');" }),
      label: 'baseline',
    });
    expect(runs[0]!.summary).toBeUndefined();
    expect(baselineSentence(runs)).toBe('`node check.mjs` passed (exit code 0), tests not counted');
    expect(describeRuns(runs)).toContain('## unit: `node check.mjs` passed (exit code 0), tests not counted');
  });
});

describe('describeRuns, what the agent is told by run_tests', () => {
  test('a hung command: the sentence the check gives, with what was stopped, after how long and which limit', async () => {
    const runs = await runSuites({
      suites: [{ suite: 'unit', command: 'node -e "setInterval(() => {}, 1000)"' }],
      ...project({}),
      label: 'agent-1',
      limits: { silenceWarningMs: 300, silenceKillMs: 700 },
    });
    expect(runs[0]!.outcome).toBe('killed_silent');
    const sentence = stopSentence(runs[0]!)!;
    expect(sentence).toMatch(
      /^`node -e "setInterval\(\(\) => \{\}, 1000\)"` was stopped as hung after \d+ s: it printed nothing for 1 s, the silence limit \(commands\.silenceKillMs\)$/,
    );
    expect(describeRuns(runs)).toContain(`## unit: ${sentence}\n`);
    expect(describeRuns(runs)).not.toContain('killed_silent');
    expect(suitePasses(runs, NO_BASELINE).reason).toBe(sentence);
  });
});
