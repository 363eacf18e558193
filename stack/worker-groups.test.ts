import { describe, expect, test } from 'vitest';
import { workerGroups } from './worker-groups.js';

describe('the worker processes of the stack', () => {
  test('one process per configured group, named by its queues; a group listed twice is numbered', () => {
    expect(workerGroups([['models'], ['tester', 'developer'], ['models'], ['models']])).toEqual([
      { name: 'worker:models', queues: ['models'] },
      { name: 'worker:tester+developer', queues: ['tester', 'developer'] },
      { name: 'worker:models#2', queues: ['models'] },
      { name: 'worker:models#3', queues: ['models'] },
    ]);
  });
});
