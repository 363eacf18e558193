import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { SummaryCounts, TestRunner } from '../../domain/checks.js';

/**
 * The counts a test runner prints at its end, for a suite without a machine-readable report:
 * vitest, jest, mocha, uvu, node's test runner (spec and TAP reporters), TAP (tape and the like),
 * pytest and go test (-v or -json; plain `go test` prints no count, and is not counted). Undefined
 * when no runner's summary is found: the tests are then not counted, never counted as 0.
 */
export function readRunnerSummary(output: string): SummaryCounts | undefined {
  const lines = output.replace(ANSI, '').replaceAll('\r', '').split('\n');
  for (const [runner, parse] of PARSERS) {
    const counts = parse(lines);
    if (counts) return { ...counts, runner };
  }
  return undefined;
}

/** The summary of the last run of `command` in its log (`$ command` opens each run; a retried run appends). */
export function readRunnerSummaryFromLog(logFile: string, command: string): SummaryCounts | undefined {
  let text: string;
  try {
    text = readEnd(logFile, MAX_LOG_BYTES);
  } catch {
    return undefined;
  }
  const header = `$ ${command}\n`;
  const start = text.lastIndexOf(header);
  return readRunnerSummary(start >= 0 ? text.slice(start + header.length) : text);
}

type Counts = Omit<SummaryCounts, 'runner'>;
type Parser = (lines: readonly string[]) => Counts | undefined;

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
/** Go's -v lines are counted over the whole run; past this the start of a huge log is left out. */
const MAX_LOG_BYTES = 32 * 1024 * 1024;

const zero = (): Counts => ({ passed: 0, failed: 0, skipped: 0 });

/** Adds up every summary of one runner in the output (a workspace runs one per package). */
function sumOf(lines: readonly string[], read: (line: string, index: number) => Counts | undefined) {
  let total: Counts | undefined;
  lines.forEach((line, index) => {
    const counts = read(line, index);
    if (!counts) return;
    total ??= zero();
    total.passed += counts.passed;
    total.failed += counts.failed;
    total.skipped += counts.skipped;
  });
  return total;
}

/** `3 passed`, `1 failed`… in a list, by word. */
function terms(text: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const match of text.matchAll(/(\d+) ([a-z]+)/g))
    found.set(match[2]!, (found.get(match[2]!) ?? 0) + Number(match[1]));
  return found;
}

/** `      Tests  1 failed | 3 passed | 1 skipped | 1 todo (6)` */
const vitest: Parser = (lines) =>
  sumOf(lines, (line) => {
    const match = /^\s*Tests\s{2,}((?:\d+ [a-z]+(?: \| )?)+)\s*\(\d+\)\s*$/.exec(line);
    if (!match) return undefined;
    const found = terms(match[1]!);
    return {
      passed: found.get('passed') ?? 0,
      failed: found.get('failed') ?? 0,
      skipped: (found.get('skipped') ?? 0) + (found.get('todo') ?? 0),
    };
  });

/** `Tests:       1 failed, 1 skipped, 1 todo, 3 passed, 6 total` */
const jest: Parser = (lines) =>
  sumOf(lines, (line) => {
    const match = /^Tests:\s+((?:\d+ [a-z]+(?:, )?)+)$/.exec(line.trim());
    if (!match) return undefined;
    const found = terms(match[1]!);
    if (!found.has('total')) return undefined;
    return {
      passed: found.get('passed') ?? 0,
      failed: found.get('failed') ?? 0,
      skipped: (found.get('skipped') ?? 0) + (found.get('todo') ?? 0),
    };
  });

const PYTEST_WORDS = ['passed', 'failed', 'skipped', 'xfailed', 'xpassed', 'error', 'errors', 'deselected'];

/**
 * `==== 1 failed, 2 passed, 1 skipped, 1 xfailed in 0.02s ====`, `-q`'s `1 failed, 2 passed in 0.02s`,
 * `=== 1 error in 0.10s ===`, `=== no tests ran in 0.00s ===`.
 */
const pytest: Parser = (lines) => {
  for (let index = lines.length - 1; index >= 0; index--) {
    const line = lines[index]!.trim().replace(/^=+ | =+$/g, '');
    if (/^no tests ran in [\d.]+s/.test(line)) return zero();
    const match = /^((?:\d+ [a-z]+(?:, )?)+) in [\d.]+s( \(.*\))?$/.exec(line);
    if (!match) continue;
    const found = terms(match[1]!);
    if (!PYTEST_WORDS.some((word) => found.has(word))) continue;
    return {
      passed: (found.get('passed') ?? 0) + (found.get('xpassed') ?? 0),
      failed: (found.get('failed') ?? 0) + (found.get('error') ?? 0) + (found.get('errors') ?? 0),
      skipped: (found.get('skipped') ?? 0) + (found.get('xfailed') ?? 0),
    };
  }
  return undefined;
};

/** Node's spec reporter (`ℹ tests 6`, `ℹ pass 3`…) and its TAP reporter (`# tests 6`, `# suites 1`, `# cancelled 0`…). */
const node: Parser = (lines) => {
  const spec = countFields(lines, 'ℹ');
  if (spec) return spec.counts;
  const tap = countFields(lines, '#');
  return tap?.fields.has('cancelled') ? tap.counts : undefined;
};

/** TAP's closing comments (tape and the like): `# tests 3`, `# pass  2`, `# fail  1`. */
const tapComments: Parser = (lines) => countFields(lines, '#')?.counts;

/** The `<mark> tests N`, `<mark> pass N`, `<mark> fail N`… lines (the last of each wins). */
function countFields(lines: readonly string[], mark: '#' | 'ℹ') {
  const pattern = new RegExp(`^${mark}\\s*(tests|suites|pass|fail|cancelled|skipped|todo)\\s+(\\d+)$`);
  const fields = new Map<string, number>();
  for (const line of lines) {
    const match = pattern.exec(line.trim());
    if (match) fields.set(match[1]!, Number(match[2]));
  }
  const tests = fields.get('tests');
  if (tests === undefined || !(fields.has('pass') || fields.has('fail'))) return undefined;
  const failed = (fields.get('fail') ?? 0) + (fields.get('cancelled') ?? 0);
  const skipped = (fields.get('skipped') ?? 0) + (fields.get('todo') ?? 0);
  return { fields, counts: { passed: fields.get('pass') ?? tests - failed - skipped, failed, skipped } };
}

/** `  2 passing (56ms)`, `  1 pending`, `  1 failing` */
const mocha: Parser = (lines) =>
  sumOf(lines, (line, index) => {
    const passing = /^\s*(\d+) passing \(\d+(?:\.\d+)?(?:ms|s|m)\)\s*$/.exec(line);
    if (!passing) return undefined;
    let failed = 0;
    let skipped = 0;
    for (const next of lines.slice(index + 1, index + 3)) {
      const match = /^\s*(\d+) (pending|failing)\s*$/.exec(next);
      if (!match) break;
      if (match[2] === 'failing') failed = Number(match[1]);
      else skipped = Number(match[1]);
    }
    return { passed: Number(passing[1]), failed, skipped };
  });

/** `  Total:     4`, `  Passed:    3`, `  Skipped:   1` (skipped tests are not in the total). */
const uvu: Parser = (lines) =>
  sumOf(lines, (line, index) => {
    const total = /^\s*Total:\s+(\d+)\s*$/.exec(line);
    const passed = /^\s*Passed:\s+(\d+)\s*$/.exec(lines[index + 1] ?? '');
    if (!total || !passed) return undefined;
    const skipped = /^\s*Skipped:\s+(\d+)\s*$/.exec(lines[index + 2] ?? '');
    return {
      passed: Number(passed[1]),
      failed: Number(total[1]) - Number(passed[1]),
      skipped: skipped ? Number(skipped[1]) : 0,
    };
  });

/** `go test -json`'s test events, or `go test -v`'s `--- PASS: TestName`, subtests included; plain `go test` has no count. */
const go: Parser = (lines) => {
  const fromJson = sumOf(lines, (line) => {
    if (!line.startsWith('{"')) return undefined;
    const event = parseJson(line);
    if (typeof event?.Test !== 'string') return undefined;
    return event.Action === 'pass' || event.Action === 'fail' || event.Action === 'skip'
      ? one(event.Action)
      : undefined;
  });
  if (fromJson) return fromJson;
  // Without -v, go test names only the failing tests: their count alone would say 0 passed.
  if (!lines.some((line) => line.startsWith('=== RUN '))) return undefined;
  return sumOf(lines, (line) => {
    const match = /^\s*--- (PASS|FAIL|SKIP): \S/.exec(line);
    return match ? one(match[1]!.toLowerCase() as 'pass' | 'fail' | 'skip') : undefined;
  });
};

function one(result: 'pass' | 'fail' | 'skip'): Counts {
  return { passed: result === 'pass' ? 1 : 0, failed: result === 'fail' ? 1 : 0, skipped: result === 'skip' ? 1 : 0 };
}

function parseJson(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** TAP without closing comments: the top-level `ok` / `not ok` lines of a run that has a plan (`1..N`). */
const tapLines: Parser = (lines) => {
  if (!lines.some((line) => /^(TAP version \d+|1\.\.\d+)\s*$/.test(line))) return undefined;
  return sumOf(lines, (line) => {
    const match = /^(not ok|ok)\b(.*)$/.exec(line);
    if (!match) return undefined;
    const directive = /#\s*(SKIP|TODO)\b/i.test(match[2]!);
    return one(directive ? 'skip' : match[1] === 'ok' ? 'pass' : 'fail');
  });
};

/** Most specific first: a runner's own closing lines before counting lines one by one. */
const PARSERS: ReadonlyArray<[TestRunner, Parser]> = [
  ['vitest', vitest],
  ['jest', jest],
  ['pytest', pytest],
  ['node', node],
  ['mocha', mocha],
  ['uvu', uvu],
  ['tap', tapComments],
  ['go', go],
  ['tap', tapLines],
];

/** The last `bytes` of a file: a summary is at the end. */
function readEnd(file: string, bytes: number): string {
  const size = statSync(file).size;
  const length = Math.min(size, bytes);
  const buffer = Buffer.alloc(length);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buffer, 0, length, size - length);
  } finally {
    closeSync(fd);
  }
  return buffer.toString('utf8');
}
