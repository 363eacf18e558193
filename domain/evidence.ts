/**
 * The verify phase's verdicts on the acceptance criteria, and whether each points at evidence
 * Maestro can check: tests that exist on the branch (the cited file holds the test's name) and,
 * where the verify check has a test report, passed in it. A criterion without such evidence is not
 * met, whatever the agent said.
 */
import { z } from 'zod';
import type { SuiteRun } from './checks.js';

/** One test that shows a criterion is met: the file it is in, and its name (as the report names it, or its own title). */
export const TestEvidence = z.object({
  file: z
    .string()
    .trim()
    .min(1, 'file: the path of the test file, relative to the repository root')
    .max(500)
    .describe('The test file, relative to the repository root, like test/unit/cart.test.js.'),
  test: z
    .string()
    .trim()
    .min(1, 'test: the name of the test, as written in the file')
    .max(500)
    .describe(
      'The test’s whole title, as its test(…) or it(…) call writes it (or as the report names it: suite › test); not a skipped or todo test.',
    ),
});
export type TestEvidence = z.infer<typeof TestEvidence>;

export const CriterionVerdict = z.object({
  index: z.int().min(1),
  met: z.boolean(),
  note: z.string().max(1_000).optional(),
  evidence: z
    .array(TestEvidence)
    .max(20)
    .optional()
    .describe('For a criterion that is met: the tests that show it, each { file, test }.'),
});
export type CriterionVerdict = z.infer<typeof CriterionVerdict>;

export const CriterionVerdicts = z.array(CriterionVerdict);

export interface JudgedCriterion {
  index: number;
  met: boolean;
  /** Why, in words: the evidence that holds, or what is missing. */
  reason: string;
}

export interface EvidenceJudgement {
  passed: boolean;
  reason: string;
  criteria: JudgedCriterion[];
}

const NAME_SEPARATOR = /\s*(?:›|>)\s*/;

/** A cited path as a path in the repository, or undefined when it is none (absolute, or leaving it). */
export function repositoryPath(file: string): string | undefined {
  const raw = file.trim().replaceAll('\\', '/');
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw)) return undefined;
  const parts: string[] = [];
  for (const part of raw.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else parts.push(part);
  }
  return parts.length > 0 ? parts.join('/') : undefined;
}

/** The files the verdicts cite, as paths in the repository: what the caller reads from the branch. */
export function citedFiles(verdicts: readonly CriterionVerdict[]): string[] {
  const files = verdicts.flatMap((verdict) => (verdict.evidence ?? []).map((item) => repositoryPath(item.file)));
  return [...new Set(files.filter((file): file is string => file !== undefined))].sort();
}

/**
 * Judges every acceptance criterion (numbered from 1) by the verdicts, the content of the cited
 * files on the branch (`files`: undefined for a file the branch does not have) and the verify
 * check's runs: the check passes only when every criterion is met with evidence that holds.
 */
export function judgeCriteria(
  criteria: readonly string[],
  verdicts: readonly CriterionVerdict[] | undefined,
  files: ReadonlyMap<string, string | undefined>,
  runs: readonly SuiteRun[],
): EvidenceJudgement {
  const given = verdicts ?? [];
  const reported = runs.filter((run) => run.tests !== undefined).flatMap((run) => run.tests!);
  // A test not in any report may have run in a suite without one: only then is the file's word enough.
  const everySuiteReports = runs.length > 0 && runs.every((run) => run.tests !== undefined);
  const judged = criteria.map((_, offset): JudgedCriterion => {
    const index = offset + 1;
    const verdict = given.find((item) => item.index === index);
    if (!verdict)
      return { index, met: false, reason: 'no verdict: say whether it is met, with the tests that show it' };
    if (!verdict.met)
      return {
        index,
        met: false,
        reason: `the verifier says it is not met${verdict.note ? ` (${verdict.note})` : ''}`,
      };
    const evidence = verdict.evidence ?? [];
    if (evidence.length === 0)
      return { index, met: false, reason: 'no evidence: name the tests that show it, each as { file, test }' };
    const problems = evidence.flatMap((item) => {
      const problem = evidenceProblem(item, files, reported, everySuiteReports);
      return problem ? [problem] : [];
    });
    if (problems.length > 0) return { index, met: false, reason: problems.join('; ') };
    return { index, met: true, reason: evidence.map((item) => `${item.file} › "${item.test}"`).join(', ') };
  });
  const unknown = given.filter((verdict) => verdict.index > criteria.length).map((verdict) => verdict.index);
  const unmet = judged.filter((criterion) => !criterion.met);
  const describe = (criterion: JudgedCriterion) =>
    `criterion ${criterion.index} ("${cut(criteria[criterion.index - 1]!)}"): ${criterion.reason}`;
  if (unmet.length === 0 && unknown.length === 0)
    return {
      passed: true,
      reason: `every acceptance criterion has passing tests: ${judged.map((criterion) => `${criterion.index} ← ${criterion.reason}`).join('; ')}`,
      criteria: judged,
    };
  const problems = [
    ...unmet.map(describe),
    ...(unknown.length > 0
      ? [`there is no criterion ${unknown.join(', ')}: the criteria are numbered 1 to ${criteria.length}`]
      : []),
  ];
  return {
    passed: false,
    reason: `acceptance criteria not shown to be met: ${problems.join('; ')} — a criterion is met only when tests that exist on the branch and pass show it`,
    criteria: judged,
  };
}

function evidenceProblem(
  item: TestEvidence,
  files: ReadonlyMap<string, string | undefined>,
  reported: ReadonlyArray<{ name: string; status: string }>,
  everySuiteReports: boolean,
): string | undefined {
  const file = repositoryPath(item.file);
  if (!file) return `${item.file} is not a path inside the repository`;
  const content = files.get(file);
  if (content === undefined) return `${file} is not on the branch`;
  const cited = segments(item.test);
  const title = cited.at(-1) ?? '';
  if (title.length < MIN_TITLE_LENGTH)
    return `"${item.test}" is too short to name a test: cite its whole title, as written in ${file}`;
  const declared = testDeclaration(content, title);
  if (declared === 'skipped') return `${file} skips the test "${item.test}" (skip, todo or xit): it shows nothing`;
  if (declared === 'none') return `${file} has no test named "${item.test}"`;
  const matching = reported.filter((test) => endsWith(segments(test.name), cited));
  if (matching.length === 0)
    return everySuiteReports
      ? `"${item.test}" did not run in the verify check (it is not in the test report)`
      : undefined;
  const failed = matching.find((test) => test.status !== 'passed');
  return failed
    ? `"${failed.name}" ${failed.status === 'skipped' ? 'was skipped' : 'failed'} in the verify check`
    : undefined;
}

/** The shortest title a cited test may have: one or two letters are found in any file. */
export const MIN_TITLE_LENGTH = 3;

/**
 * Whether `content` declares a test with this title: a `test(…)` or `it(…)` call (`.only`,
 * `.concurrent` too) whose first argument is the title as a quoted string, a pytest `def test_…`
 * or a Go `func Test…`; `skipped` when only a `.skip`, `.todo`, `xit` or `xtest` one does.
 */
export function testDeclaration(content: string, title: string): 'declared' | 'skipped' | 'none' {
  const escaped = escapeRegExp(title);
  const literal = String.raw`\s*\(\s*(['"\x60])${escaped}\1`;
  if (new RegExp(String.raw`(?<![\w.$])(?:it|test)(?:\.(?:only|concurrent))*${literal}`).test(content))
    return 'declared';
  if (
    /^test_\w+$/.test(title) &&
    new RegExp(String.raw`^[ \t]*(?:async[ \t]+)?def[ \t]+${escaped}[ \t]*\(`, 'm').test(content)
  )
    return 'declared';
  if (/^Test\w+$/.test(title) && new RegExp(String.raw`^func[ \t]+${escaped}[ \t]*\(`, 'm').test(content))
    return 'declared';
  const skipped = String.raw`(?<![\w.$])(?:(?:it|test)(?:\.\w+)*\.(?:skip|todo)|xit|xtest)(?:\.\w+)*${literal}`;
  return new RegExp(skipped).test(content) ? 'skipped' : 'none';
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `cart › total › adds tax` as its parts. */
function segments(name: string): string[] {
  return name
    .split(NAME_SEPARATOR)
    .map((part) => part.trim())
    .filter(Boolean);
}

/** The report's name ends with the cited name, part by part: `adds tax` is `cart › adds tax`. */
function endsWith(name: readonly string[], cited: readonly string[]): boolean {
  if (cited.length === 0 || cited.length > name.length) return false;
  return cited.every((part, offset) => name[name.length - cited.length + offset] === part);
}

function cut(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

const CRITERIA_TRAILER = 'Maestro-Criteria: ';

/**
 * The verdicts an agent's commit carries in its `Maestro-Criteria` trailer (the last one: the
 * trailers follow the agent's summary), or why they cannot be read.
 */
export function verdictsOfCommit(message: string): { verdicts?: CriterionVerdict[]; problem?: string } {
  const line = message
    .split('\n')
    .filter((text) => text.startsWith(CRITERIA_TRAILER))
    .at(-1);
  if (line === undefined) return {};
  let json: unknown;
  try {
    json = JSON.parse(line.slice(CRITERIA_TRAILER.length));
  } catch {
    return { problem: 'the verdicts on the criteria in the commit are not valid JSON' };
  }
  const parsed = CriterionVerdicts.safeParse(json);
  if (!parsed.success)
    return {
      problem: `the verdicts on the criteria are not in the expected shape (${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join(', ')})`,
    };
  return { verdicts: parsed.data };
}
