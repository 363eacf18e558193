import type { ModelMessage, ToolModelMessage, ToolResultPart } from 'ai';
import { describe, expect, test } from 'vitest';
import { countMessageTokens } from '../models/tokens.js';
import { PRUNING_RULES, prunePrompt } from './pruning.js';

/** Characters / 4, so budgets are easy to reason about. */
function quarterChars(messages: ModelMessage[]): number {
  let chars = 0;
  for (const message of messages) {
    if (typeof message.content === 'string') {
      chars += message.content.length;
      continue;
    }
    for (const part of message.content) {
      if (part.type === 'text') chars += part.text.length;
      if (part.type === 'tool-call') chars += JSON.stringify(part.input).length;
      if (part.type === 'tool-result') chars += outputText(part).length;
    }
  }
  return Math.ceil(chars / 4);
}

function outputText(part: ToolResultPart): string {
  const { output } = part;
  if (output.type === 'text' || output.type === 'error-text') return output.value;
  if (output.type === 'json') return JSON.stringify(output.value);
  throw new Error(`unexpected output ${output.type}`);
}

const FAILURE_SECTION = [
  '## The previous attempt failed its check',
  'Reason: 1 test failed',
  'Output (end):',
  '```',
  'FAIL test/cart.test.js > applies the discount',
  '```',
].join('\n');
const DIFF_LINES = Array.from(
  { length: 400 },
  (_, index) => `+const line${String(index).padStart(3, '0')} = 'a line of the change so far';`,
);
const TASK = [
  'Maestro agent — role: developer, phase: implement, subtask: S-1, attempt: 2',
  '# Subtask S-1: Discount',
  FAILURE_SECTION,
  '## The change so far (diff against the start of this phase)',
  '```diff',
  ...DIFF_LINES,
  '```',
  '## A hint from a person',
  'Look at the rounding.',
].join('\n');

function toolOutput(tool: string, step: number, length: number): string {
  const head = `${tool} output of step ${step}\n`;
  const tail = `\nend of step ${step}`;
  return head + 'x'.repeat(length - head.length - tail.length) + tail;
}

function step(number: number, tool: string, output: ToolResultPart['output']): ModelMessage[] {
  const toolCallId = `call-${number}`;
  return [
    {
      role: 'assistant',
      content: [
        { type: 'text', text: `Step ${number}.` },
        {
          type: 'tool-call',
          toolCallId,
          toolName: tool,
          input: tool === 'read_file' ? { path: `src/file${number}.js` } : {},
        },
      ],
    },
    { role: 'tool', content: [{ type: 'tool-result', toolCallId, toolName: tool, output }] },
  ];
}

function textStep(number: number, tool: string, length: number): ModelMessage[] {
  return step(number, tool, { type: 'text', value: toolOutput(tool, number, length) });
}

const OLD_LENGTHS = [40_000, 30_000, 20_000];

/** Steps 1–3 are old (two read_file, one run_tests); 4 (read_file) and 5 (run_tests, the newest failure) are the newest. */
function conversation(): ModelMessage[] {
  return [
    { role: 'system', content: 'You are Devon, the developer.' },
    { role: 'user', content: TASK },
    ...textStep(1, 'read_file', OLD_LENGTHS[0] ?? 0),
    ...textStep(2, 'read_file', OLD_LENGTHS[1] ?? 0),
    ...textStep(3, 'run_tests', OLD_LENGTHS[2] ?? 0),
    ...textStep(4, 'read_file', 12_000),
    ...textStep(5, 'run_tests', 9_000),
  ];
}

function outputOf(messages: ModelMessage[], stepNumber: number): string {
  const message = messages.filter((candidate) => candidate.role === 'tool')[stepNumber - 1] as ToolModelMessage;
  const part = message.content[0];
  if (part?.type !== 'tool-result') throw new Error('no tool result');
  return outputText(part);
}

function taskOf(messages: ModelMessage[]): string {
  const task = messages.find((message) => message.role === 'user');
  if (typeof task?.content !== 'string') throw new Error('no task');
  return task.content;
}

const prune = (messages: ModelMessage[], budget: number) =>
  prunePrompt(messages, budget, { countTokens: quarterChars });

describe('prunePrompt', () => {
  test('under the budget nothing changes', () => {
    const messages = conversation();
    const full = quarterChars(messages);
    const result = prune(messages, full);
    expect(result).toEqual({ messages, pruned: [], tokens: full, fits: true });
  });

  test('old big outputs are cut first, oldest first, and the newest steps kept', () => {
    const messages = conversation();
    const full = quarterChars(messages);
    // Cutting step 1 saves about 38,650 characters, step 2 about 28,650: both are needed.
    const result = prune(messages, full - 40_000 / 4);
    expect(result.fits).toBe(true);
    expect(result.tokens).toBe(quarterChars(result.messages));
    expect(result.tokens).toBeLessThanOrEqual(full - 40_000 / 4);
    expect(result.pruned).toEqual([
      { step: 1, tool: 'read_file', rule: 'cut_old_output', originalChars: 40_000, keptChars: 1_200 },
      { step: 2, tool: 'read_file', rule: 'cut_old_output', originalChars: 30_000, keptChars: 1_200 },
    ]);
    const cut = outputOf(result.messages, 1);
    expect(cut.startsWith('read_file output of step 1\nxxx')).toBe(true);
    expect(cut.endsWith('xxx\nend of step 1')).toBe(true);
    expect(cut).toContain(
      '\n[… pruned by Maestro: 38,800 characters of read_file output from step 1 cut to fit the prompt budget; call the tool again if you need it …]\n',
    );
    for (const untouched of [3, 4, 5]) expect(outputOf(result.messages, untouched)).toBe(outputOf(messages, untouched));
    expect(taskOf(result.messages)).toBe(TASK);
  });

  test('old outputs are dropped, oldest first, once cutting them all is not enough', () => {
    const messages = conversation();
    const full = quarterChars(messages);
    const cutSavings = OLD_LENGTHS.reduce((sum, length) => sum + (length - 1_200) / 4, 0);
    // Cutting all three leaves about 110 tokens of notes; dropping step 1 saves about 310 more.
    const result = prune(messages, full - cutSavings - 100);
    expect(result.fits).toBe(true);
    expect(result.pruned).toEqual([
      { step: 1, tool: 'read_file', rule: 'drop_old_output', originalChars: 40_000, keptChars: 0 },
      { step: 2, tool: 'read_file', rule: 'cut_old_output', originalChars: 30_000, keptChars: 1_200 },
      { step: 3, tool: 'run_tests', rule: 'cut_old_output', originalChars: 20_000, keptChars: 1_200 },
    ]);
    expect(outputOf(result.messages, 1)).toBe(
      '[pruned by Maestro: the read_file output of step 1 (40,000 characters) was removed to fit the prompt budget]',
    );
    expect(outputOf(result.messages, 3)).toContain('characters of run_tests output from step 3 cut');
    expect(taskOf(result.messages)).toBe(TASK);
  });

  test('the task diff is cut before the newest outputs', () => {
    const messages = conversation();
    const full = quarterChars(messages);
    const dropSavings = OLD_LENGTHS.reduce((sum, length) => sum + length / 4, 0);
    // After dropping all old outputs, cutting 360 diff lines (about 4,700 tokens) is enough.
    const result = prune(messages, full - dropSavings - 2_000);
    expect(result.fits).toBe(true);
    expect(result.pruned.map((item) => item.rule)).toEqual([
      'drop_old_output',
      'drop_old_output',
      'drop_old_output',
      'cut_task_diff',
    ]);
    expect(result.pruned[3]).toMatchObject({
      step: 0,
      tool: 'task',
      originalChars: DIFF_LINES.join('\n').length,
      keptChars: DIFF_LINES.slice(0, 40).join('\n').length,
    });
    const task = taskOf(result.messages);
    expect(task).toContain(
      `\`\`\`diff\n${DIFF_LINES.slice(0, 40).join('\n')}\n[… pruned by Maestro: the last 360 lines of the diff (`,
    );
    expect(task).not.toContain(DIFF_LINES[40]);
    expect(task).toContain(FAILURE_SECTION);
    expect(task.endsWith('```\n## A hint from a person\nLook at the rounding.')).toBe(true);
    expect(outputOf(result.messages, 4)).toBe(outputOf(messages, 4));
    expect(outputOf(result.messages, 5)).toBe(outputOf(messages, 5));
  });

  test('the newest run_tests output and the failure section survive when nothing else does', () => {
    const messages = conversation();
    const result = prune(messages, 100);
    expect(result.fits).toBe(false);
    expect(result.tokens).toBe(quarterChars(result.messages));
    expect(result.pruned.map((item) => [item.step, item.tool, item.rule])).toEqual([
      [1, 'read_file', 'drop_old_output'],
      [2, 'read_file', 'drop_old_output'],
      [3, 'run_tests', 'drop_old_output'],
      [0, 'task', 'cut_task_diff'],
      [4, 'read_file', 'cut_newest_output'],
    ]);
    expect(outputOf(result.messages, 4)).toContain('characters of read_file output from step 4 cut');
    expect(outputOf(result.messages, 5)).toBe(outputOf(messages, 5));
    expect(taskOf(result.messages)).toContain(FAILURE_SECTION);
    expect(result.messages[0]).toEqual(messages[0]);
  });

  test('the newest run_tests output is kept even in an old step', () => {
    const messages: ModelMessage[] = [
      { role: 'user', content: 'Fix the cart.' },
      ...textStep(1, 'run_tests', 10_000),
      ...textStep(2, 'read_file', 10_000),
      ...textStep(3, 'read_file', 10_000),
    ];
    const result = prune(messages, 10);
    expect(result.fits).toBe(false);
    expect(outputOf(result.messages, 1)).toBe(outputOf(messages, 1));
    expect(result.pruned.map((item) => [item.step, item.rule])).toEqual([
      [2, 'cut_newest_output'],
      [3, 'cut_newest_output'],
    ]);
  });

  test('keepNewestSteps sets which steps are old', () => {
    const messages = conversation();
    const result = prunePrompt(messages, quarterChars(messages) - 40_000 / 4, {
      keepNewestSteps: 0,
      countTokens: quarterChars,
    });
    expect(result.pruned.map((item) => item.step)).toEqual([1, 2]);
    const all = prunePrompt(messages, 100, { keepNewestSteps: 0, countTokens: quarterChars });
    expect(all.pruned.filter((item) => item.rule === 'drop_old_output').map((item) => item.step)).toEqual([1, 2, 3, 4]);
  });

  test('does not mutate the input', () => {
    const messages = conversation();
    const copy = structuredClone(messages);
    const result = prune(messages, 100);
    expect(messages).toEqual(copy);
    expect(result.messages).not.toBe(messages);
    expect(result.messages[2]).toBe(messages[2]);
    expect(result.messages[3]).not.toBe(messages[3]);
  });

  test('keeps every tool call paired with its result', () => {
    const messages = conversation();
    const result = prune(messages, 100);
    expect(result.messages.map((message) => message.role)).toEqual(messages.map((message) => message.role));
    result.messages.forEach((message, index) => {
      if (message.role !== 'assistant' || typeof message.content === 'string') return;
      const calls = message.content.filter((part) => part.type === 'tool-call');
      const next = result.messages[index + 1];
      expect(next?.role).toBe('tool');
      const results = (next as ToolModelMessage).content.filter((part) => part.type === 'tool-result');
      expect(results.map((part) => [part.toolCallId, part.toolName])).toEqual(
        calls.map((part) => [part.toolCallId, part.toolName]),
      );
    });
  });

  test('a json output is cut into a text output; an error stays an error', () => {
    const messages: ModelMessage[] = [
      { role: 'user', content: 'Fix the cart.' },
      ...step(1, 'list_files', {
        type: 'json',
        value: Array.from({ length: 1_000 }, (_, index) => `src/file${index}.js`),
      }),
      ...step(2, 'read_file', { type: 'error-text', value: 'e'.repeat(5_000) }),
      ...textStep(3, 'read_file', 100),
      ...textStep(4, 'read_file', 100),
    ];
    const result = prune(messages, 200);
    const [first, second] = result.messages.filter((message) => message.role === 'tool') as ToolModelMessage[];
    expect(first?.content[0]).toMatchObject({ type: 'tool-result', toolCallId: 'call-1', output: { type: 'text' } });
    expect(second?.content[0]).toMatchObject({
      type: 'tool-result',
      toolCallId: 'call-2',
      output: { type: 'error-text' },
    });
  });

  test('counts with countMessageTokens by default', () => {
    const messages: ModelMessage[] = [
      { role: 'user', content: 'Fix the cart.' },
      ...textStep(1, 'read_file', 9_000),
      ...textStep(2, 'read_file', 100),
      ...textStep(3, 'read_file', 100),
    ];
    const full = countMessageTokens(messages);
    expect(prunePrompt(messages, full).pruned).toEqual([]);
    const result = prunePrompt(messages, full - 100);
    expect(result).toMatchObject({ fits: true, pruned: [{ step: 1, rule: 'cut_old_output' }] });
    expect(result.tokens).toBe(countMessageTokens(result.messages));
  });

  test('PRUNING_RULES names the rules in order', () => {
    expect(PRUNING_RULES).toMatch(
      /1\. Tool outputs longer than 2,000 characters[\s\S]*2\. [\s\S]*removed whole[\s\S]*3\. [\s\S]*diff[\s\S]*4\. [\s\S]*newest/,
    );
  });
});
