import { spawn } from 'node:child_process';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { TRPCClientError, createTRPCClient, httpLink, httpSubscriptionLink, splitLink } from '@trpc/client';
import { EventSource } from 'eventsource';
import { describe, expect, inject, test } from 'vitest';
import { TASK_QUEUES } from '../domain/queues.js';
import { projectRoot } from '../runtime/project-root.js';
import type { AppRouter } from '../web/server/root.js';
import type { SystemStatus } from '../web/server/system-status.js';
import type { stackProbeWorkflow } from '../workflows/stack-probe.js';
import { eventually, freePorts, stackEnv } from './support/maestro-process.js';
import { latestMigration } from './support/migrations.js';

const LATEST_MIGRATION = latestMigration();

const shared = inject('sharedStack');

function apiClient(baseUrl: string) {
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({ url: `${baseUrl}/trpc`, EventSource }),
        false: httpLink({ url: `${baseUrl}/trpc` }),
      }),
    ],
  });
}

describe('the API over real HTTP', () => {
  const api = apiClient(shared.apiUrl);

  test('health answers', async () => {
    expect(await api.health.query()).toMatchObject({ ok: true });
  });

  test('system.status reads Temporal, PostgreSQL and the pollers of every queue', async () => {
    const status = await api.system.status.query();
    expect(status.temporal).toMatchObject({ reachable: true, address: shared.temporalAddress, namespace: 'maestro' });
    expect(status.temporal.serverVersion).toMatch(/^\d+\.\d+/);
    expect(status.database).toMatchObject({ reachable: true, latestMigration: LATEST_MIGRATION });
    // The role queues, then the model queues: the demo's, and any other a gateway on this Temporal serves.
    const roleQueues = Object.values(TASK_QUEUES).filter((queue) => !queue.endsWith('*'));
    expect(status.queues.slice(0, roleQueues.length).map((queue) => queue.taskQueue)).toEqual(roleQueues);
    expect(status.queues.slice(roleQueues.length).map((queue) => queue.taskQueue)).toContain(
      'maestro-model-scripted-demo',
    );
    expect(status.allQueuesPolled).toBe(true);
    for (const queue of status.queues) {
      expect(queue.pollers.some((poller) => poller.live && /^\d+@.+\/maestro:/.test(poller.identity))).toBe(true);
    }
    expect(status.queues.find((queue) => queue.name === 'workflows')!.kind).toBe('workflow');
    // The embedded default: the workflows and the models in one process, the worktrees' work in another.
    const hosted = status.workers.map((worker) => [...worker.queues].sort());
    expect(hosted).toContainEqual(['models', 'workflows']);
    expect(hosted).toContainEqual(['council', 'developer', 'orchestrator', 'runner', 'tester']);
    expect(status.models).toMatchObject({
      demo: true,
      configured: true,
      expected: ['scripted-demo'],
      routing: { strategic: 'scripted-demo', cheap: 'scripted-demo', strong: 'scripted-demo' },
    });
    expect(status.models.available).toContain('scripted-demo');
    expect(status.models.providers.find((provider) => provider.provider === 'anthropic')).toEqual({
      provider: 'anthropic',
      kind: 'anthropic',
      available: false,
      missing: 'no gateway serves it: set ANTHROPIC_API_KEY where the models worker group runs',
    });
  });

  test('system.onStatus streams the status over server-sent events', async () => {
    const received: SystemStatus[] = [];
    await new Promise<void>((resolve, reject) => {
      const subscription = api.system.onStatus.subscribe(
        { intervalMs: 500 },
        {
          onData: (status) => {
            received.push(status);
            if (received.length === 2) {
              subscription.unsubscribe();
              resolve();
            }
          },
          onError: reject,
        },
      );
    });
    expect(received).toHaveLength(2);
    expect(received[1]!.checkedAt > received[0]!.checkedAt).toBe(true);
    expect(received[1]!.temporal.reachable).toBe(true);
  });

  test('bad input is refused with what to fix', async () => {
    const error = await new Promise<unknown>((resolve) => {
      const subscription = api.system.onStatus.subscribe(
        { intervalMs: 10 },
        { onError: resolve, onData: () => subscription.unsubscribe() },
      );
    });
    expect(error).toBeInstanceOf(TRPCClientError);
    const clientError = error as TRPCClientError<AppRouter>;
    expect(clientError.data?.code).toBe('BAD_REQUEST');
    expect(clientError.data?.issues).toEqual([{ path: 'intervalMs', message: expect.stringMatching(/>=500/) }]);
  });

  test('the probe workflow runs one task on every role queue', async () => {
    const connection = await Connection.connect({ address: shared.temporalAddress });
    try {
      const client = new Client({ connection, namespace: shared.namespace });
      const reports = await client.workflow.execute<typeof stackProbeWorkflow>('stackProbeWorkflow', {
        taskQueue: TASK_QUEUES.workflows,
        workflowId: `api-test-probe-${Date.now()}`,
      });
      expect(reports.map((report) => report.taskQueue).sort()).toEqual([
        'maestro-council',
        'maestro-developer',
        'maestro-orchestrator',
        'maestro-runner',
        'maestro-tester',
      ]);
    } finally {
      await connection.close();
    }
  });
});

describe('an API whose Temporal is down', () => {
  test('says so in system.status instead of failing', async () => {
    const ports = await freePorts();
    const child = spawn(process.execPath, [path.join(projectRoot(), 'dist/web/server/main.js')], {
      env: stackEnv('/nonexistent-data', ports, {
        TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
        DATABASE_URL: shared.databaseUrl,
      }),
      stdio: 'ignore',
    });
    try {
      const api = apiClient(`http://127.0.0.1:${ports.api}`);
      const status = await eventually(() => api.system.status.query(), 20_000, 'the API to answer');
      expect(status.temporal.reachable).toBe(false);
      expect(status.temporal.error).toBeTruthy();
      expect(status.database.reachable).toBe(true);
      expect(status.allQueuesPolled).toBe(false);
      expect(status.queues.every((queue) => !queue.polled && queue.error)).toBe(true);
      expect(JSON.stringify(status)).not.toContain(new URL(shared.databaseUrl).password);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
