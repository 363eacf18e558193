import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { recordModelCall } from '../../../data/costs.js';
import { parseUsd } from '../../../domain/money.js';
import { person, refusal, routerHarness } from '../../../test/support/router-caller.js';

let harness: Awaited<ReturnType<typeof routerHarness>>;
beforeAll(async () => {
  harness = await routerHarness(inject('sharedStack'));
});
afterAll(async () => {
  await harness.close();
});

/** A model call in the ledger, as the gateway writes it. */
function call(
  project: { id: string },
  subtaskId: string | undefined,
  model: string,
  usd: string,
  at: string,
  tokens = { input: 1_000, output: 100 },
) {
  return recordModelCall(harness.prisma, {
    idempotencyKey: randomUUID(),
    occurredAt: new Date(at),
    projectId: project.id,
    subtaskId,
    purpose: 'agent',
    provider: 'openai',
    model,
    inputTokens: tokens.input,
    outputTokens: tokens.output,
    cachedTokens: 0,
    estimated: false,
    costPicos: parseUsd(usd),
    latencyMs: 10,
  });
}

describe('costs', () => {
  test('summary sums the ledger exactly per project, subtask, model and UTC day, within a project, a subtask and a time window', async () => {
    const project = await harness.project('costs');
    const one = await harness.subtask(project, '1-1');
    const two = await harness.subtask(project, '1-2');
    await call(project, one.id, 'gpt-big', '0.000000000001', '2026-01-10T23:59:59.999Z');
    await call(project, one.id, 'gpt-big', '0.1', '2026-01-11T00:00:00.000Z', { input: 2_000, output: 300 });
    await call(project, two.id, 'gpt-small', '0.2', '2026-01-11T10:00:00.000Z');
    await call(project, undefined, 'gpt-small', '0.05', '2026-01-12T08:00:00.000Z');

    const reader = harness.as(person('rita', 'reader'));
    const summary = await reader.costs.summary({ project: project.name });
    expect(summary.total).toEqual({
      key: 'total',
      costUsd: '0.350000000001',
      calls: 4,
      inputTokens: 5_000,
      outputTokens: 600,
    });
    expect(summary.byProject).toEqual([
      { key: project.name, costUsd: '0.350000000001', calls: 4, inputTokens: 5_000, outputTokens: 600 },
    ]);
    expect(summary.bySubtask.map((line) => [line.key, line.costUsd])).toEqual([
      [`${project.name}/1-2`, '0.200000000000'],
      [`${project.name}/1-1`, '0.100000000001'],
      ['(none)', '0.050000000000'],
    ]);
    expect(summary.byModel.map((line) => [line.key, line.costUsd, line.calls])).toEqual([
      ['gpt-small', '0.250000000000', 2],
      ['gpt-big', '0.100000000001', 2],
    ]);
    expect(summary.byDay.map((line) => [line.key, line.costUsd, line.calls])).toEqual([
      ['2026-01-10', '0.000000000001', 1],
      ['2026-01-11', '0.300000000000', 2],
      ['2026-01-12', '0.050000000000', 1],
    ]);

    expect((await reader.costs.summary({ project: project.name, subtask: '1-1' })).total).toMatchObject({
      costUsd: '0.100000000001',
      calls: 2,
      inputTokens: 3_000,
    });
    // `from` is inclusive, `to` exclusive.
    const day = await reader.costs.summary({
      project: project.name,
      from: new Date('2026-01-11T00:00:00Z'),
      to: new Date('2026-01-12T00:00:00Z'),
    });
    expect(day.total).toMatchObject({ costUsd: '0.300000000000', calls: 2 });
    expect(day.byDay.map((line) => line.key)).toEqual(['2026-01-11']);
  });

  test('a project’s budget tier follows its spend against its own limits', async () => {
    const project = await harness.project('costs-tier');
    await harness.as().project.setBudget({
      name: project.name,
      softUsd: 1,
      hardUsd: 2,
      emergencyUsd: 3,
      reason: 'a small test budget',
    });
    const reader = harness.as(person('rita', 'reader'));
    expect(await reader.costs.budget({ project: project.name })).toMatchObject({
      project: project.name,
      limits: { softUsd: 1, hardUsd: 2, emergencyUsd: 3 },
      spentUsd: '0.000000000000',
      tier: 'ok',
    });

    await call(project, undefined, 'gpt-big', '0.999999999999', '2026-02-01T00:00:00Z');
    expect((await reader.costs.budget({ project: project.name })).tier).toBe('ok');
    // A limit is reached at the limit itself.
    await call(project, undefined, 'gpt-big', '0.000000000001', '2026-02-01T00:00:01Z');
    expect(await reader.costs.budget({ project: project.name })).toMatchObject({
      spentUsd: '1.000000000000',
      tier: 'soft',
    });
    await call(project, undefined, 'gpt-big', '1.5', '2026-02-01T00:00:02Z');
    expect((await reader.costs.budget({ project: project.name })).tier).toBe('hard');
    await call(project, undefined, 'gpt-big', '0.5', '2026-02-01T00:00:03Z');
    expect((await reader.costs.budget({ project: project.name })).tier).toBe('emergency');

    const all = await reader.costs.budgets();
    expect(all.projects.find((line) => line.project === project.name)).toEqual({
      project: project.name,
      limits: { softUsd: 1, hardUsd: 2, emergencyUsd: 3 },
      spentUsd: '3.000000000000',
      tier: 'emergency',
    });
    const names = all.projects.map((line) => line.project);
    expect(names).toEqual([...names].sort());
  });

  test('a subtask without its project, a project that does not exist: refused, saying so', async () => {
    const project = await harness.project('costs-bad');
    const reader = harness.as(person('rita', 'reader'));
    expect((await refusal(reader.costs.summary({ subtask: '1-1' }))).issues).toEqual([
      { path: 'subtask', message: 'a subtask key needs its project' },
    ]);
    expect(
      (await refusal(reader.costs.summary({ project: project.name, from: new Date('not a date') }))).issues,
    ).toEqual([{ path: 'from', message: expect.stringMatching(/date/i) }]);
    expect(await refusal(reader.costs.summary({ project: project.name, subtask: '7-7' }))).toMatchObject({
      code: 'NOT_FOUND',
      message: `No subtask 7-7 in ${project.name}.`,
    });
    expect(await refusal(reader.costs.budget({ project: 'no-such-project-here' }))).toMatchObject({
      code: 'NOT_FOUND',
      message: 'No project named no-such-project-here.',
    });
  });
});
