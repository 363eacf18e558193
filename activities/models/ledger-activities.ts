import { parseUsd } from '../../domain/money.js';
import { type LedgerEntry, recordModelCall } from '../../data/costs.js';
import type { PrismaClient } from '../../data/prisma.js';
import type { ModelCallMeta, ModelCharge } from './gateway.js';

export interface ChargeInput {
  callId: string;
  modelId: string;
  providerId: string;
  meta: ModelCallMeta;
  charge: ModelCharge;
}

/** The ledger line of a model call: keyed by the call (its model-call workflow's id). */
export const ledgerKeyOf = (callId: string) => `gateway/${callId}`;

export function ledgerEntryOf({ callId, modelId, providerId, meta, charge }: ChargeInput): LedgerEntry {
  return {
    idempotencyKey: ledgerKeyOf(callId),
    occurredAt: new Date(charge.startedAt),
    ...meta,
    provider: providerId,
    model: modelId,
    inputTokens: charge.inputTokens,
    outputTokens: charge.outputTokens,
    cachedTokens: charge.cachedTokens,
    estimated: charge.estimated,
    costPicos: parseUsd(charge.costUsd),
    latencyMs: charge.latencyMs,
    outcome: charge.outcome,
    error: charge.error,
  };
}

/**
 * The ledger's writes for model calls: a local activity of the model-call workflow, retried until
 * it succeeds, so an answered call is charged exactly once even when the database hiccups. The
 * gateway has settled the line itself already unless the database failed it then: this is a no-op.
 */
export function createLedgerActivities({ prisma }: { prisma: PrismaClient }) {
  return {
    async chargeModelCall(input: ChargeInput): Promise<void> {
      await recordModelCall(prisma, ledgerEntryOf(input));
    },
  };
}

export type LedgerActivities = ReturnType<typeof createLedgerActivities>;
