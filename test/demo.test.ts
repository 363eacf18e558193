import { createTRPCClient, httpLink } from '@trpc/client';
import { describe, expect, inject, test } from 'vitest';
import type { AppRouter } from '../web/server/root.js';
import { eventually } from './support/maestro-process.js';

const shared = inject('sharedStack');

describe('npm start with no model configured', () => {
  test('runs the demo project with the scripted model, and the subtask is carried to its merge', async () => {
    expect(shared.demo).toBe(true);
    const api = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${shared.apiUrl}/trpc` })] });
    expect((await api.system.status.query()).models.demo).toBe(true);
    const project = await api.project.get.query({ name: 'demo' });
    expect(project.testCommand).toBe('npm test');
    const state = await eventually(
      async () => {
        const current = await api.subtask.state.query({ project: 'demo', key: '1-1' });
        return current.status === 'completed' ? current : undefined;
      },
      180_000,
      'the demo subtask to complete',
    );
    expect(state.progress).toBe('9/9');
    expect(state.redEvidence?.newFailingTests.length).toBeGreaterThan(0);
  });
});
