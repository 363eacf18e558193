import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { parseUsd } from '../domain/money.js';
import { routerHarness } from '../test/support/router-caller.js';
import {
  type LedgerEntry,
  markModelCallUnknown,
  projectSpend,
  recordModelCall,
  reserveModelCall,
  sweepUnsettledModelCalls,
} from './costs.js';

let harness: Awaited<ReturnType<typeof routerHarness>>;
beforeAll(async () => {
  harness = await routerHarness(inject('sharedStack'));
});
afterAll(async () => {
  await harness.close();
});

function entry(projectId: string, key: string, usd: string, tokens: { input: number; output: number }): LedgerEntry {
  return {
    idempotencyKey: key,
    occurredAt: new Date('2026-12-04T08:00:00.000Z'),
    projectId,
    purpose: 'agent',
    provider: 'openai',
    model: 'gpt-big',
    inputTokens: tokens.input,
    outputTokens: tokens.output,
    cachedTokens: 0,
    estimated: true,
    costPicos: parseUsd(usd),
    latencyMs: 0,
  };
}

const rowOf = (key: string) => harness.prisma.modelCall.findUniqueOrThrow({ where: { idempotencyKey: key } });

describe('the ledger line of a call, written before it is sent', () => {
  test('a call on its way costs nothing yet, with its most reserved; its answer settles it once, keeping when it was sent', async () => {
    const project = await harness.project('ledger-settle');
    const key = `gateway/${randomUUID()}`;
    const settleBy = new Date(Date.now() + 60_000);
    await reserveModelCall(harness.prisma, {
      ...entry(project.id, key, '0', { input: 3_000, output: 4_096 }),
      reservedPicos: parseUsd('0.5'),
      settleBy,
    });
    const sent = await rowOf(key);
    expect(sent).toMatchObject({ outcome: 'sent', inputTokens: 3_000, estimated: true, settleBy });
    expect(sent.reservedUsd?.toFixed(2)).toBe('0.50');
    expect(await projectSpend(harness.prisma, project.id)).toBe(0n);

    const answered = {
      ...entry(project.id, key, '0.02', { input: 900, output: 120 }),
      occurredAt: new Date('2026-12-04T08:00:09.000Z'),
      estimated: false,
      latencyMs: 850,
      outcome: 'ok',
    };
    await recordModelCall(harness.prisma, answered);
    await recordModelCall(harness.prisma, { ...answered, costPicos: parseUsd('9') });
    const settled = await rowOf(key);
    expect(settled).toMatchObject({
      outcome: 'ok',
      inputTokens: 900,
      outputTokens: 120,
      estimated: false,
      settleBy: null,
    });
    expect(settled.occurredAt.toISOString()).toBe('2026-12-04T08:00:00.000Z');
    expect(await harness.prisma.modelCall.count({ where: { projectId: project.id } })).toBe(1);
    expect(await projectSpend(harness.prisma, project.id)).toBe(parseUsd('0.02'));
  });

  test('a call cancelled mid-way is unknown at once, one whose gateway died is swept to unknown past its time: both cost their reserve', async () => {
    const project = await harness.project('ledger-unknown');
    const cancelled = `gateway/${randomUUID()}`;
    const orphaned = `gateway/${randomUUID()}`;
    const inFlight = `gateway/${randomUUID()}`;
    const now = new Date();
    const reserve = (key: string, settleBy: Date) =>
      reserveModelCall(harness.prisma, {
        ...entry(project.id, key, '0', { input: 100, output: 10 }),
        reservedPicos: parseUsd('0.25'),
        settleBy,
      });
    await reserve(cancelled, new Date(now.getTime() + 60_000));
    await reserve(orphaned, new Date(now.getTime() - 1));
    await reserve(inFlight, new Date(now.getTime() + 60_000));

    await markModelCallUnknown(harness.prisma, cancelled, 'the call was cancelled before the model answered');
    expect(await sweepUnsettledModelCalls(harness.prisma, now)).toBeGreaterThanOrEqual(1);
    expect(await rowOf(cancelled)).toMatchObject({
      outcome: 'unknown',
      error: 'the call was cancelled before the model answered',
    });
    expect(await rowOf(orphaned)).toMatchObject({
      outcome: 'unknown',
      error: expect.stringMatching(/gateway went away/),
    });
    expect(await rowOf(inFlight)).toMatchObject({ outcome: 'sent' });
    expect(await projectSpend(harness.prisma, project.id)).toBe(parseUsd('0.5'));

    // An answer that comes after all (a gateway cut off, not dead) still settles its line.
    await recordModelCall(harness.prisma, {
      ...entry(project.id, orphaned, '0.01', { input: 50, output: 5 }),
      estimated: false,
      outcome: 'ok',
    });
    expect(await rowOf(orphaned)).toMatchObject({ outcome: 'ok', error: null });
    expect(await projectSpend(harness.prisma, project.id)).toBe(parseUsd('0.26'));
  });
});
