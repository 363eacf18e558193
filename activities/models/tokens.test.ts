import type { ModelMessage } from 'ai';
import { describe, expect, test } from 'vitest';
import { countMessageTokens, countTokens } from './tokens.js';

describe('countTokens', () => {
  test('counts o200k_base tokens of known strings', () => {
    expect(countTokens('hello world')).toBe(2);
    expect(countTokens('Hello, world!')).toBe(4);
    expect(countTokens('The quick brown fox jumps over the lazy dog.')).toBe(10);
  });

  test('an empty string is 0 tokens', () => {
    expect(countTokens('')).toBe(0);
  });

  test('a special token in the text is plain text, not an error', () => {
    expect(countTokens('<|endoftext|>')).toBeGreaterThan(1);
  });

  test('a very long run of letters is estimated quickly instead of encoded', () => {
    const started = performance.now();
    const count = countTokens(`start ${'x'.repeat(100_000)} end`);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(count).toBeGreaterThanOrEqual(100_000 / 8);
    expect(count).toBeLessThanOrEqual(100_000 / 4 + 10);
  });
});

describe('countMessageTokens', () => {
  const task: ModelMessage = { role: 'user', content: 'hello world' };

  test('a message is its text plus 4 tokens of framing', () => {
    expect(countMessageTokens([])).toBe(0);
    expect(countMessageTokens([task])).toBe(2 + 4);
    expect(countMessageTokens([{ role: 'system', content: 'hello world' }, task])).toBe(2 * (2 + 4));
  });

  test('tool calls and their results count beyond the text alone', () => {
    const text: ModelMessage = { role: 'assistant', content: [{ type: 'text', text: 'Let me read the cart.' }] };
    const withCall: ModelMessage = {
      role: 'assistant',
      content: [
        { type: 'text', text: 'Let me read the cart.' },
        { type: 'tool-call', toolCallId: 'call-1', toolName: 'read_file', input: { path: 'src/cart.js' } },
      ],
    };
    const result: ModelMessage = {
      role: 'tool',
      content: [
        {
          type: 'tool-result',
          toolCallId: 'call-1',
          toolName: 'read_file',
          output: { type: 'text', value: 'export const total = 0;\n' },
        },
      ],
    };
    const textOnly = countMessageTokens([task, text]);
    const withToolCall = countMessageTokens([task, withCall]);
    const withToolResult = countMessageTokens([task, withCall, result]);
    expect(withToolCall).toBe(textOnly + countTokens('{"path":"src/cart.js"}'));
    expect(withToolResult).toBe(withToolCall + 4 + countTokens('export const total = 0;\n'));
  });

  test('json tool outputs count as their JSON', () => {
    const result: ModelMessage = {
      role: 'tool',
      content: [
        {
          type: 'tool-result',
          toolCallId: 'call-1',
          toolName: 'list_files',
          output: { type: 'json', value: { files: ['src/a.js'] } },
        },
      ],
    };
    expect(countMessageTokens([result])).toBe(4 + countTokens('{"files":["src/a.js"]}'));
  });
});
