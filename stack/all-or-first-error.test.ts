import { describe, expect, test } from 'vitest';
import { allOrFirstError } from './all-or-first-error.js';

describe('all steps, or the first error once every step is done', () => {
  test('gives every result in order', async () => {
    await expect(allOrFirstError([Promise.resolve(1), Promise.resolve('two')] as const)).resolves.toEqual([1, 'two']);
  });

  test('fails with the first failure, only after the slower steps finished', async () => {
    let slowDone = false;
    const slow = new Promise<void>((resolve) =>
      setTimeout(() => {
        slowDone = true;
        resolve();
      }, 20),
    );
    await expect(
      allOrFirstError([Promise.reject(new Error('first')), slow, Promise.reject(new Error('second'))]),
    ).rejects.toThrow('first');
    expect(slowDone).toBe(true);
  });
});
