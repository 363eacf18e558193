import { describe, expect, test } from 'vitest';
import { OUTPUT_FORMAT_INSTRUCTIONS, OutputFormatError, parseModelOutput } from './output-parser.js';

const CART = 'export const total = (items) => items.length;\n';

function block(opening: string, content = CART, closing = '```'): string {
  return `${opening}\n${content}${closing}`;
}

function formatError(text: string): string {
  try {
    parseModelOutput(text);
  } catch (error) {
    expect(error).toBeInstanceOf(OutputFormatError);
    return (error as Error).message;
  }
  throw new Error('expected an OutputFormatError');
}

describe('parseModelOutput: where the path of a block comes from', () => {
  test.each([
    ['```js src/cart.js'],
    ['```src/cart.js'],
    ['```js:src/cart.js'],
    ['```js path=src/cart.js'],
    ['```js file=src/cart.js'],
    ['```js filename=src/cart.js'],
    ['```js title="src/cart.js"'],
    ["```js title='src/cart.js'"],
    ['```js ./src/cart.js'],
    ['```js src\\cart.js'],
    ['~~~js src/cart.js'],
  ])('the info string %s', (opening) => {
    const closing = opening.startsWith('~') ? '~~~' : '```';
    expect(parseModelOutput(`Done.\n${block(opening, CART, closing)}`).files).toEqual([
      { path: 'src/cart.js', content: CART },
    ]);
  });

  test.each([
    ['File: src/cart.js'],
    ['**src/cart.js**'],
    ['### src/cart.js'],
    ['`src/cart.js`'],
    ['src/cart.js:'],
    ['**File:** `src/cart.js`'],
    ['1. `src/cart.js`'],
  ])('the line before the fence %s', (label) => {
    const parsed = parseModelOutput(`I fixed the total.\n\n${label}\n\n${block('```js')}\n`);
    expect(parsed.files).toEqual([{ path: 'src/cart.js', content: CART }]);
    expect(parsed.summary).toBe('I fixed the total.');
  });

  test('the info string wins over the line before the fence', () => {
    expect(parseModelOutput(`File: src/other.js\n${block('```js src/cart.js')}`).files[0]?.path).toBe('src/cart.js');
  });

  test('a name with an extension and a dotfile are paths; a bare language word is not', () => {
    expect(parseModelOutput(block('```json package.json', '{}\n')).files[0]?.path).toBe('package.json');
    expect(parseModelOutput(block('``` .gitignore', 'node_modules\n')).files[0]?.path).toBe('.gitignore');
    expect(parseModelOutput(block('``` ./Makefile', 'all:\n')).files[0]?.path).toBe('Makefile');
    for (const language of ['js', 'ts', 'python', 'json']) {
      expect(formatError(`Here it is.\n${block(`\`\`\`${language}`)}`)).toContain('has no file path');
    }
  });

  test('a label in a sentence is not taken as a path', () => {
    expect(formatError(`Here is the new src/cart.js, as you asked\n${block('```js')}`)).toContain(
      'the code block at line 2 has no file path',
    );
  });

  test('a title that is not a path does not name the file', () => {
    expect(formatError(block('```js title="Cart module"'))).toContain('has no file path');
  });
});

describe('parseModelOutput: content', () => {
  test('is kept byte for byte and ends with a newline', () => {
    const content = '  indented\ttab\r\n\ntrailing spaces   \n\n';
    const parsed = parseModelOutput(`\`\`\`py src/app.py\n${content}\`\`\``);
    expect(parsed.files[0]?.content).toBe(content);
    expect(parseModelOutput('```js src/a.js\nconst a = 1;\n```').files[0]?.content).toBe('const a = 1;\n');
  });

  test('a longer fence holds lines of shorter fences', () => {
    const readme = '# Cart\n\n```js\ntotal([]);\n```\n';
    const parsed = parseModelOutput(`Updated the readme.\n\n\`\`\`\`md README.md\n${readme}\`\`\`\`\n`);
    expect(parsed.files).toEqual([{ path: 'README.md', content: readme }]);
  });

  test('a fence of tildes is closed by tildes only', () => {
    const content = 'a\n```\nb\n';
    expect(parseModelOutput(`~~~md docs/a.md\n${content}~~~`).files[0]?.content).toBe(content);
  });

  test('an indented fence loses its indentation in the content', () => {
    const parsed = parseModelOutput('1. The cart:\n   ```js src/cart.js\n   if (a) {\n     b();\n   }\n   ```\n');
    expect(parsed.files[0]?.content).toBe('if (a) {\n  b();\n}\n');
  });

  test('several files, and the same file twice with the same content kept once', () => {
    const parsed = parseModelOutput(
      `${block('```js src/cart.js')}\n${block('```js test/cart.test.js', 'test\n')}\n${block('```js src/cart.js')}`,
    );
    expect(parsed.files).toEqual([
      { path: 'src/cart.js', content: CART },
      { path: 'test/cart.test.js', content: 'test\n' },
    ]);
  });

  test('inline code on one line is not a fence', () => {
    expect(parseModelOutput('Run ```npm test``` to check.').files).toEqual([]);
  });
});

describe('parseModelOutput: errors say what to fix and where', () => {
  test('a block without a path', () => {
    const message = formatError(`I changed the cart.\n\n${block('```js')}`);
    expect(message).toBe(
      'the code block at line 3 has no file path: write it after the opening fence, like ```js src/cart.js',
    );
  });

  test('a diff', () => {
    expect(formatError(`Changes:\n${block('```diff src/cart.js', '-a\n+b\n')}`)).toBe(
      'the code block at line 2 is a diff, and diffs are not applied: give the whole new content of src/cart.js, with its path after the opening fence',
    );
    expect(formatError(block('```patch', '-a\n+b\n'))).toContain(
      'diffs are not applied: give the whole new content of the file',
    );
  });

  test('an unclosed fence', () => {
    expect(formatError('Here:\n\n````js src/cart.js\nconst a = 1;\n```\n')).toBe(
      'the code block opened at line 3 is never closed: end it with a line holding only ````',
    );
  });

  test('the same path twice with different content', () => {
    const message = formatError(`${block('```js src/cart.js')}\n\n${block('```js ./src/cart.js', 'other\n')}`);
    expect(message).toContain('src/cart.js is given twice with different content (code blocks at lines 1 and 5)');
  });

  test('every problem is reported at once', () => {
    const message = formatError(`${block('```js')}\n${block('```diff')}`);
    expect(message).toContain('line 1 has no file path');
    expect(message).toContain('line 4 is a diff');
  });
});

describe('parseModelOutput: criteria', () => {
  test('are parsed, with notes', () => {
    const parsed = parseModelOutput(
      'All good but one.\n```criteria\n[{"index": 1, "met": true}, {"index": 2, "met": false, "note": "no empty cart test"}]\n```',
    );
    expect(parsed.criteria).toEqual([
      { index: 1, met: true },
      { index: 2, met: false, note: 'no empty cart test' },
    ]);
    expect(parsed.files).toEqual([]);
  });

  test('keep the evidence each met criterion cites, and name a wrong one by item and field', () => {
    const parsed = parseModelOutput(
      '```criteria\n[{"index": 1, "met": true, "note": null, "evidence": [{"file": "test/cart.test.js", "test": "adds tax"}]}]\n```',
    );
    expect(parsed.criteria).toEqual([
      { index: 1, met: true, evidence: [{ file: 'test/cart.test.js', test: 'adds tax' }] },
    ]);
    const message = formatError(
      '```criteria\n[{"index": 1, "met": true, "evidence": [{"file": "test/cart.test.js"}]}]\n```',
    );
    expect(message).toContain('(item 1, "evidence": ');
    expect(message).toContain('evidence a list of { file, test }');
  });

  test('are absent when no criteria block is given', () => {
    expect(parseModelOutput(block('```js src/cart.js'))).not.toHaveProperty('criteria');
  });

  test('invalid JSON is named', () => {
    expect(formatError('```criteria\n[{"index": 1, "met": true},]\n```')).toMatch(
      /^the criteria block at line 1 is not valid JSON \(.+\): write a JSON array like \[/,
    );
  });

  test('a wrong shape is named by item and field', () => {
    const message = formatError('Verdicts:\n```criteria\n[{"index": 1, "met": true}, {"index": 2, "met": "yes"}]\n```');
    expect(message).toContain('the criteria block at line 2 is not in the expected shape (item 2, "met": ');
    expect(message).toContain('met true or false');
    expect(formatError('```criteria\n{"index": 1}\n```')).toContain('(the block: ');
    expect(formatError('```criteria\n[{"index": 0, "met": true}]\n```')).toContain('item 1, "index"');
  });

  test('the criteria block may name its language too', () => {
    expect(parseModelOutput('```json criteria\n[{"index": 1, "met": true}]\n```').criteria).toEqual([
      { index: 1, met: true },
    ]);
  });

  test('two criteria blocks', () => {
    expect(formatError('```criteria\n[]\n```\n```criteria\n[]\n```')).toContain(
      'there are two criteria blocks (lines 1 and 4)',
    );
  });
});

describe('parseModelOutput: summary', () => {
  test('is the prose outside the blocks, whitespace collapsed, without the path labels', () => {
    const text = `  I applied the discount.\n\nFile: src/cart.js\n${block('```js')}\n\nThe   tests\tpass now.  \n`;
    expect(parseModelOutput(text).summary).toBe('I applied the discount. The tests pass now.');
  });

  test('says so when empty', () => {
    expect(parseModelOutput(block('```js src/cart.js')).summary).toBe('(no summary given)');
    expect(parseModelOutput('').summary).toBe('(no summary given)');
  });

  test('is at most 2,000 characters', () => {
    expect(parseModelOutput('word '.repeat(1_000)).summary).toHaveLength(2_000);
  });
});

describe('OUTPUT_FORMAT_INSTRUCTIONS', () => {
  test('its example parses', () => {
    const example = OUTPUT_FORMAT_INSTRUCTIONS.split('### Example answer\n')[1];
    expect(example).toBeDefined();
    const parsed = parseModelOutput(example ?? '');
    expect(parsed.files.map((file) => file.path)).toEqual(['src/cart.js']);
    expect(parsed.criteria).toHaveLength(2);
    expect(parsed.summary).toBe('I applied the discount to the total.');
  });
});
