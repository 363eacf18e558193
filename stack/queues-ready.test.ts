import { describe, expect, test } from 'vitest';
import type { SystemStatus } from '../web/server/system-status.js';
import { missingQueues } from './queues-ready.js';

const queue = (name: string, pollers: Array<{ identity: string; live: boolean }>) =>
  ({ name, taskQueue: `maestro-${name}`, pollers }) as unknown as SystemStatus['queues'][number];

describe('the queues no current worker process polls yet', () => {
  const groups = [
    { name: 'worker:models', queues: ['models' as const] },
    { name: 'worker:runner', queues: ['runner' as const] },
  ];
  const pids = new Map([
    ['worker:models', 101],
    ['worker:runner', 102],
  ]);

  test('a queue polled live by one of our processes is ready', () => {
    expect(missingQueues([queue('models', [{ identity: '101@host', live: true }])], groups, pids)).toEqual([]);
  });

  test("a poller of an earlier run, a poller no longer live, or another group's process do not count", () => {
    const queues = [
      queue('models', [{ identity: '99@host', live: true }]),
      queue('runner', [
        { identity: '102@host', live: false },
        { identity: '101@host', live: true },
      ]),
    ];
    expect(missingQueues(queues, groups, pids)).toEqual(['maestro-models', 'maestro-runner']);
  });
});
