import { describe, expect, test } from 'vitest';
import { parseNumstat } from './diff.js';

describe('git diff --numstat -z', () => {
  test('reads changed, binary and renamed files', () => {
    const output = '3\t1\tsrc/cart.js\0-\t-\tlogo.png\0' + '2\t0\t\0src/old.js\0src/new.js\0';
    expect(parseNumstat(output)).toEqual([
      { path: 'src/cart.js', from: undefined, additions: 3, deletions: 1, binary: false, omitted: false },
      { path: 'logo.png', from: undefined, additions: 0, deletions: 0, binary: true, omitted: false },
      { path: 'src/new.js', from: 'src/old.js', additions: 2, deletions: 0, binary: false, omitted: false },
    ]);
  });
});
