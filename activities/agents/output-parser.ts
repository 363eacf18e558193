import path from 'node:path';
import { type CriterionVerdict, CriterionVerdicts } from '../../domain/evidence.js';

/** The answer of a model without tools is not in the agreed format; the message says what to fix. */
export class OutputFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutputFormatError';
  }
}

export interface ParsedOutput {
  files: Array<{ path: string; content: string }>;
  summary: string;
  criteria?: CriterionVerdict[];
}

/** The rules for a model that cannot call tools, to put in its prompt. */
export const OUTPUT_FORMAT_INSTRUCTIONS = `## How to answer
You cannot call tools: answer in text, and Maestro writes the files for you.
- For each file you create or replace, write one fenced code block with the file's path after the opening fence, like \`\`\`js src/cart.js, holding the whole new content of the file: not a diff, not an excerpt.
- Paths are relative to the repository root. A file without an extension needs its folder: ./Makefile, docker/Dockerfile.
- Leave out the files you do not change. Give each file once.
- If the file itself contains lines of \`\`\`, open and close its block with more backticks (\`\`\`\`).
- Verify phase only: add one \`criteria\` block, a JSON array saying for each acceptance criterion (numbered from 1) whether it is met and, for a met one, its evidence: the tests that show it, each { "file", "test" }. Maestro checks that each file is on the branch, holds the test and that the test passed; a criterion without such evidence is not met.
- Outside the blocks, say in a few sentences what you did: that is your summary. Do not wrap the whole answer in a code block.

### Example answer
I applied the discount to the total.

\`\`\`js src/cart.js
export function total(items, discount = 0) {
  return items.reduce((sum, item) => sum + item.price, 0) * (1 - discount);
}
\`\`\`

\`\`\`criteria
[{ "index": 1, "met": true, "evidence": [{ "file": "test/cart.test.js", "test": "total applies the discount" }] }, { "index": 2, "met": false, "note": "an empty cart is not tested" }]
\`\`\``;

const MAX_SUMMARY_CHARS = 2_000;
const MAX_NOTE_CHARS = 1_000;
const DIFF_LANGUAGES = new Set(['diff', 'patch', 'udiff']);
const CRITERIA_EXAMPLE = '[{"index": 1, "met": true, "evidence": [{"file": "test/cart.test.js", "test": "…"}]}]';

interface Fence {
  marker: string;
  indent: number;
  info: string;
}

interface CodeBlock {
  /** 1-based line of the opening fence. */
  line: number;
  info: string;
  content: string;
  /** The last non-empty prose line before the block, which may name its file. */
  labelLine?: { text: string; index: number };
}

interface Scan {
  blocks: CodeBlock[];
  prose: string[];
  problems: string[];
}

/**
 * The files, the summary and (verify phase) the criteria verdicts in the answer of a model that
 * cannot call tools. Paths are normalised, not checked: the caller checks the territory.
 */
export function parseModelOutput(text: string): ParsedOutput {
  const { blocks, prose, problems } = scanBlocks(text);
  const files = new Map<string, { content: string; line: number }>();
  const labelsUsed = new Set<number>();
  let criteria: ParsedOutput['criteria'];
  let criteriaLine: number | undefined;

  for (const block of blocks) {
    const language = firstWord(block.info).toLowerCase();
    if (isCriteriaBlock(block)) {
      if (criteriaLine !== undefined) {
        problems.push(
          `there are two criteria blocks (lines ${criteriaLine} and ${block.line}): give one, with a verdict for every criterion`,
        );
        continue;
      }
      criteriaLine = block.line;
      try {
        criteria = parseCriteria(block);
      } catch (error) {
        if (!(error instanceof OutputFormatError)) throw error;
        problems.push(error.message);
      }
      continue;
    }
    const named = blockPath(block);
    if (named?.fromLabel !== undefined) labelsUsed.add(named.fromLabel);
    if (DIFF_LANGUAGES.has(language)) {
      problems.push(
        `the code block at line ${block.line} is a diff, and diffs are not applied: give the whole new content of ${named ? named.path : 'the file'}, with its path after the opening fence`,
      );
      continue;
    }
    if (!named) {
      problems.push(
        `the code block at line ${block.line} has no file path: write it after the opening fence, like \`\`\`js src/cart.js`,
      );
      continue;
    }
    const earlier = files.get(named.path);
    if (earlier && earlier.content !== block.content) {
      problems.push(
        `${named.path} is given twice with different content (code blocks at lines ${earlier.line} and ${block.line}): give each file once, with its whole new content`,
      );
      continue;
    }
    if (!earlier) files.set(named.path, { content: block.content, line: block.line });
  }

  if (problems.length > 0) throw new OutputFormatError(problems.join('; '));
  return {
    files: [...files].map(([filePath, { content }]) => ({ path: filePath, content })),
    summary: summaryOf(prose.filter((_, index) => !labelsUsed.has(index))),
    ...(criteria ? { criteria } : {}),
  };
}

/** Splits the text into fenced code blocks and the prose lines around them. */
function scanBlocks(text: string): Scan {
  const lines = text.split('\n');
  const scan: Scan = { blocks: [], prose: [], problems: [] };
  let lastLabel: CodeBlock['labelLine'];
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? '';
    const fence = openingFence(line);
    if (!fence) {
      scan.prose.push(line);
      if (line.trim() !== '') lastLabel = { text: line, index: scan.prose.length - 1 };
      continue;
    }
    const close = closingLine(lines, index + 1, fence);
    if (close === -1) {
      scan.problems.push(
        `the code block opened at line ${index + 1} is never closed: end it with a line holding only ${fence.marker}`,
      );
      break;
    }
    const body = lines.slice(index + 1, close).map((bodyLine) => dedent(bodyLine, fence.indent));
    scan.blocks.push({
      line: index + 1,
      info: fence.info,
      content: body.length > 0 ? `${body.join('\n')}\n` : '',
      labelLine: lastLabel,
    });
    lastLabel = undefined;
    index = close;
  }
  return scan;
}

function openingFence(line: string): Fence | undefined {
  const match = /^( {0,3})(`{3,}|~{3,})(.*)$/.exec(withoutCarriageReturn(line));
  if (!match) return undefined;
  const [, indent = '', marker = '', info = ''] = match;
  // As in CommonMark: ```npm test``` on one line is inline code, not a fence.
  if (marker.startsWith('`') && info.includes('`')) return undefined;
  return { marker, indent: indent.length, info: info.trim() };
}

function closingLine(lines: readonly string[], from: number, fence: Fence): number {
  for (let index = from; index < lines.length; index++) if (closesFence(lines[index] ?? '', fence)) return index;
  return -1;
}

function closesFence(line: string, fence: Fence): boolean {
  const match = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(withoutCarriageReturn(line));
  const marker = match?.[1];
  return marker !== undefined && marker[0] === fence.marker[0] && marker.length >= fence.marker.length;
}

function withoutCarriageReturn(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** An indented fence's content loses the same indentation, as in CommonMark. */
function dedent(line: string, indent: number): string {
  let cut = 0;
  while (cut < indent && line[cut] === ' ') cut++;
  return line.slice(cut);
}

function isCriteriaBlock(block: CodeBlock): boolean {
  return block.info.split(/\s+/).some((word) => word.toLowerCase() === 'criteria');
}

function firstWord(text: string): string {
  return text.split(/\s+/)[0] ?? '';
}

function blockPath(block: CodeBlock): { path: string; fromLabel?: number } | undefined {
  const fromInfo = pathFromInfo(block.info);
  if (fromInfo) return { path: normalisePath(fromInfo) };
  const fromLabel = block.labelLine ? pathFromLabel(block.labelLine.text) : undefined;
  if (fromLabel && block.labelLine) return { path: normalisePath(fromLabel), fromLabel: block.labelLine.index };
  return undefined;
}

/** `js src/cart.js`, `src/cart.js`, `js:src/cart.js`, `js path=src/cart.js`, `file=…`, `title="…"`. */
function pathFromInfo(info: string): string | undefined {
  const attribute = /(?:^|\s)(path|file|filename|title)=(?:"([^"]*)"|'([^']*)'|(\S+))/i.exec(info);
  if (attribute) {
    const value = (attribute[2] ?? attribute[3] ?? attribute[4] ?? '').trim();
    const isTitle = attribute[1]?.toLowerCase() === 'title';
    if (value !== '' && (!isTitle || looksLikePath(value))) return value;
  }
  for (const word of info.split(/\s+/)) {
    const token = unwrapToken(word).replace(/^[\w+#-]+:(?=[^/\\])/, '');
    if (looksLikePath(token)) return token;
  }
  return undefined;
}

/** `File: src/cart.js`, `**src/cart.js**`, `### src/cart.js`, `` `src/cart.js` ``, `src/cart.js:`. */
function pathFromLabel(line: string): string | undefined {
  const text = line
    .trim()
    .replace(/^#{1,6}\s+/, '')
    .replace(/^(?:[-*+]|\d+[.)])\s+/, '')
    .replaceAll('*', '')
    .replaceAll('`', '')
    .replace(/^__(.+)__(:?)$/, '$1$2')
    .replace(/^(?:file|filename|path)\s*:\s*/i, '')
    .replace(/:$/, '')
    .trim();
  return looksLikePath(text) ? text : undefined;
}

function unwrapToken(word: string): string {
  return word.replace(/^["'`]+|["'`]+$/g, '').replace(/:$/, '');
}

/** Has a `/`, or looks like `name.ext` (with a letter in the extension, so `3.11` is not a path). */
function looksLikePath(token: string): boolean {
  if (token === '' || /\s/.test(token)) return false;
  if (token.includes('/') || token.includes('\\')) return true;
  return /^(?:[\w-][\w.-]*)?\.[\w-]*[A-Za-z][\w-]*$/.test(token);
}

function normalisePath(raw: string): string {
  return path.posix.normalize(raw.replaceAll('\\', '/')).replace(/^(?:\.\/)+/, '');
}

function parseCriteria(block: CodeBlock): NonNullable<ParsedOutput['criteria']> {
  let json: unknown;
  try {
    json = JSON.parse(block.content);
  } catch (error) {
    throw new OutputFormatError(
      `the criteria block at line ${block.line} is not valid JSON (${(error as Error).message.replace(/\s+/g, ' ')}): write a JSON array like ${CRITERIA_EXAMPLE}`,
    );
  }
  // A note of null reads as no note; a long one is cut rather than refused.
  const parsed = CriterionVerdicts.safeParse(
    Array.isArray(json)
      ? json.map((item: unknown) =>
          item && typeof item === 'object' && 'note' in item
            ? {
                ...item,
                note: typeof item.note === 'string' ? item.note.slice(0, MAX_NOTE_CHARS) : (item.note ?? undefined),
              }
            : item,
        )
      : json,
  );
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issueWhere(issue.path)}: ${issue.message}`).join(', ');
    throw new OutputFormatError(
      `the criteria block at line ${block.line} is not in the expected shape (${issues}): write a JSON array like ${CRITERIA_EXAMPLE}, index numbered from 1, met true or false, evidence a list of { file, test }`,
    );
  }
  return parsed.data.map(({ index, met, note, evidence }) => ({
    index,
    met,
    ...(note ? { note } : {}),
    ...(evidence ? { evidence } : {}),
  }));
}

function issueWhere(issuePath: readonly PropertyKey[]): string {
  const [item, field] = issuePath;
  if (typeof item !== 'number') return 'the block';
  return field === undefined ? `item ${item + 1}` : `item ${item + 1}, "${String(field)}"`;
}

function summaryOf(prose: readonly string[]): string {
  const summary = prose.join(' ').replace(/\s+/g, ' ').trim();
  if (summary === '') return '(no summary given)';
  return summary.length > MAX_SUMMARY_CHARS ? `${summary.slice(0, MAX_SUMMARY_CHARS - 1)}…` : summary;
}
