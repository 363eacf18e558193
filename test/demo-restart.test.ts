import { once } from 'node:events';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { createTRPCClient, httpLink } from '@trpc/client';
import { afterAll, describe, expect, test } from 'vitest';
import { CART_TAX_SPEC } from '../stack/demo/cart-tax-script.js';
import { SAMPLE_PROJECT, createSampleRepository } from '../stack/demo/sample-repo.js';
import type { AppRouter } from '../web/server/root.js';
import type { SubtaskState } from '../workflows/subtask/subtask.shared.js';
import { MaestroProcess, eventually, freePorts, newDataDir } from './support/maestro-process.js';

const SUBTASKS = 10;
const KEYS = Array.from({ length: SUBTASKS }, (_, index) => `1-${index + 1}`);
/** No model configured: the stack plays the agents with the demo's scripted model. */
const DEMO_MODE = { MAESTRO_MODEL_BASE_URL: '' };
const FINISHED = ['ready_for_review', 'completed', 'blocked', 'cancelled'];
// Ten whole demo subtasks take minutes on a small machine: the test follows each to its next phase after the restart.

let maestro: MaestroProcess | undefined;

afterAll(async () => {
  await maestro?.killAll();
});

describe('a stop and start in demo mode', () => {
  test(`${SUBTASKS} subtasks in flight at the stop resume after the start: each commits its next phase, none ends blocked`, async () => {
    const began = Date.now();
    const since = () => `${((Date.now() - began) / 1000).toFixed(0)} s`;
    const dataDir = newDataDir('demo-restart');
    const ports = await freePorts();
    ({ maestro } = await MaestroProcess.start({ dataDir, ports, env: DEMO_MODE }));
    expect(demoModelAddress(maestro)).toBe(`http://127.0.0.1:${ports.demoModel}/v1`);
    const api = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${maestro.apiUrl}/trpc` })] });
    const repos = mkdtempSync(path.join(os.tmpdir(), 'maestro-demo-restart-repos-'));
    const repository = path.join(repos, 'shop');
    await createSampleRepository(repository);
    // A project of its own: the demo subtask merging into the demo project would change the others' base.
    await api.project.create.mutate({ name: 'restart', repository, ...SAMPLE_PROJECT });
    // Medium risk: each stops at ready_for_review, waiting for a person's approval before its merge.
    for (const key of KEYS)
      await api.subtask.start.mutate({ project: 'restart', key, risk: 'medium', ...CART_TAX_SPEC });

    const states = () => Promise.all(KEYS.map((key) => api.subtask.state.query({ project: 'restart', key })));
    const atStop = await eventually(
      async () => {
        const all = await states();
        // Every one at work in an agent phase, and some past their first commit: their histories hold model calls.
        const working = all.every((state) => state.phase !== null && !FINISHED.includes(state.status));
        return working && all.some((state) => state.shas.red) ? all : undefined;
      },
      180_000,
      `all ${SUBTASKS} subtasks at work`,
    );
    const inFlight = atStop.filter((state) => !FINISHED.includes(state.status));
    console.log(`demo restart: stopping at ${since()}: ${summary(atStop)}`);
    await maestro.stop('SIGTERM');
    console.log(`demo restart: stopped at ${since()}`);

    ({ maestro } = await MaestroProcess.start({ dataDir, ports, env: DEMO_MODE }));
    expect(demoModelAddress(maestro)).toBe(`http://127.0.0.1:${ports.demoModel}/v1`);
    console.log(`demo restart: started again at ${since()}`);
    const restarted = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${maestro.apiUrl}/trpc` })] });
    let last: SubtaskState[] = [];
    const commitsOf = (state: SubtaskState) => Object.keys(state.shas).length;
    const before = new Map(atStop.map((state) => [state.key, commitsOf(state)]));
    // Each one's model calls answered after the restart: it commits at least one more phase, past red.
    const resumedOf = (states: SubtaskState[]) =>
      states.filter((state) => commitsOf(state) > before.get(state.key)! && state.shas.green);
    const after = await eventually(
      async () => {
        last = await Promise.all(KEYS.map((key) => restarted.subtask.state.query({ project: 'restart', key })));
        return last.some((state) => state.status === 'blocked') || resumedOf(last).length === SUBTASKS
          ? last
          : undefined;
      },
      240_000,
      `all ${SUBTASKS} subtasks to commit a phase after the restart`,
    ).catch((error: Error) => {
      throw new Error(`${error.message}; last: ${summary(last)}`);
    });
    console.log(`demo restart: all resumed at ${since()}`);
    const blocked = after.filter((state) => state.status === 'blocked');
    console.log(
      `demo restart: subtasks in flight at the stop ${inFlight.length} / resumed ${resumedOf(after).length} / blocked ${blocked.length}`,
    );
    expect(inFlight).toHaveLength(SUBTASKS);
    expect(summary(blocked)).toBe('');
    expect(resumedOf(after)).toHaveLength(SUBTASKS);
    for (const state of after) expect(state.lastFailure?.reason ?? '').not.toMatch(/refused/);
  }, 540_000);
});

describe('the demo model’s port', () => {
  test('taken by another program: the stack refuses to start, in one line naming the setting', async () => {
    const ports = await freePorts();
    const squatter = net.createServer().listen(ports.demoModel, '127.0.0.1');
    await once(squatter, 'listening');
    try {
      const refused = MaestroProcess.spawn({ dataDir: newDataDir('demo-port'), ports, env: DEMO_MODE });
      expect((await refused.exited).code).toBe(1);
      expect(refused.stderr).toEqual([
        `maestro: Port ${ports.demoModel} on 127.0.0.1 (demo model) is already in use by another program: stop that program or set MAESTRO_DEMO_MODEL_PORT to a free port.`,
      ]);
    } finally {
      squatter.close();
    }
  });
});

function demoModelAddress(stack: MaestroProcess): unknown {
  return stack.records.findLast((record) => typeof record.scriptedModel === 'string')?.scriptedModel;
}

function summary(states: Array<Pick<SubtaskState, 'key' | 'status' | 'phase' | 'blocked' | 'lastFailure'>>): string {
  return states
    .map(
      (state) =>
        `${state.key}: ${state.status} in ${state.phase}${state.status === 'blocked' || state.status === 'retrying' ? ` (${state.lastFailure?.reason ?? JSON.stringify(state.blocked)})` : ''}`,
    )
    .join('; ');
}
