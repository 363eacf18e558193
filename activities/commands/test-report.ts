import { readFileSync } from 'node:fs';
import { XMLParser } from 'fast-xml-parser';
import { z } from 'zod';
import type { TestCaseResult } from '../../domain/checks.js';
import type { TestReport } from '../../domain/project.js';

/** Reads the runner's machine-readable report; undefined when there is none or it cannot be read. */
export function readTestReport(report: TestReport, file: string): TestCaseResult[] | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return report.format === 'junit' ? parseJUnit(text) : parseJestJson(text);
  } catch {
    return undefined;
  }
}

type XmlNode = Record<string, unknown>;

const JUNIT = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  isArray: (name) => name === 'testsuite' || name === 'testcase',
});

/** JUnit XML, with nested suites (describe blocks) named `suite › test`. */
export function parseJUnit(xml: string): TestCaseResult[] {
  const document = JUNIT.parse(xml) as XmlNode;
  const results: TestCaseResult[] = [];
  const visit = (node: XmlNode, path: string[]) => {
    for (const testcase of (node.testcase as XmlNode[] | undefined) ?? []) {
      const name = [...path, String(testcase.name ?? '')].filter(Boolean).join(' › ');
      const failed = 'failure' in testcase || 'error' in testcase;
      const skipped = 'skipped' in testcase;
      const seconds = Number(testcase.time);
      results.push({
        name,
        status: failed ? 'failed' : skipped ? 'skipped' : 'passed',
        durationMs: Number.isFinite(seconds) ? Math.round(seconds * 1000) : undefined,
      });
    }
    for (const suite of (node.testsuite as XmlNode[] | undefined) ?? []) {
      const suiteName = String(suite.name ?? '');
      // Runners name the top-level suite after the file or the runner; test names stay readable without it.
      visit(suite, path.length === 0 && looksLikeFileOrRunner(suiteName) ? [] : [...path, suiteName]);
    }
  };
  const root = (document.testsuites as XmlNode | undefined) ?? document;
  visit(root, []);
  return results;
}

function looksLikeFileOrRunner(name: string): boolean {
  return name === '' || /[\\/.]/.test(name) || /^(vitest|jest|mocha|pytest|node)/i.test(name);
}

const JestJson = z.object({
  testResults: z.array(
    z.object({
      assertionResults: z.array(
        z.object({
          fullName: z.string().optional(),
          title: z.string(),
          ancestorTitles: z.array(z.string()).default([]),
          status: z.string(),
          duration: z.number().nullish(),
        }),
      ),
    }),
  ),
});

/** The JSON report of Jest and Vitest (`--reporter=json`, `--json`). */
export function parseJestJson(text: string): TestCaseResult[] {
  const report = JestJson.parse(JSON.parse(text));
  return report.testResults.flatMap((file) =>
    file.assertionResults.map((assertion) => ({
      name: [...assertion.ancestorTitles, assertion.title].join(' › '),
      status:
        assertion.status === 'passed'
          ? ('passed' as const)
          : assertion.status === 'failed'
            ? ('failed' as const)
            : ('skipped' as const),
      durationMs: assertion.duration ?? undefined,
    })),
  );
}
