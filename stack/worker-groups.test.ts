import { describe, expect, test } from 'vitest';
import type { LoadedConfig } from '../runtime/config.js';
import { withoutModelKeys, workerGroups } from './worker-groups.js';

describe('the worker processes of the stack', () => {
  test('one process per configured group, named by its queues; a group listed twice is numbered', () => {
    expect(workerGroups([['models'], ['tester', 'developer'], ['models'], ['models']])).toEqual([
      { name: 'worker:models', queues: ['models'] },
      { name: 'worker:tester+developer', queues: ['tester', 'developer'] },
      { name: 'worker:models#2', queues: ['models'] },
      { name: 'worker:models#3', queues: ['models'] },
    ]);
  });

  test("the processes that make no model calls get no provider's key", () => {
    const config = {
      models: { providers: { openai: { apiKeyEnv: 'OPENAI_API_KEY' }, local: {} } },
    } as unknown as LoadedConfig;
    expect(withoutModelKeys({ OPENAI_API_KEY: 'sk-1', PATH: '/bin' }, config)).toEqual({ PATH: '/bin' });
  });
});
