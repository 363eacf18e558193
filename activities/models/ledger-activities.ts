import { parseUsd } from '../../domain/money.js';
import { recordModelCall } from '../../data/costs.js';
import type { PrismaClient } from '../../data/prisma.js';
import type { ModelCallMeta, ModelCharge } from './gateway.js';

/**
 * The ledger's writes for model calls: a local activity of the model-call workflow, retried until
 * it succeeds, so an answered call is charged exactly once even when the database hiccups.
 */
export function createLedgerActivities({ prisma }: { prisma: PrismaClient }) {
  return {
    async chargeModelCall(input: {
      callId: string;
      modelId: string;
      providerId: string;
      meta: ModelCallMeta;
      charge: ModelCharge;
    }): Promise<void> {
      const { charge } = input;
      await recordModelCall(prisma, {
        idempotencyKey: `gateway/${input.callId}`,
        occurredAt: new Date(charge.startedAt),
        ...input.meta,
        provider: input.providerId,
        model: input.modelId,
        inputTokens: charge.inputTokens,
        outputTokens: charge.outputTokens,
        cachedTokens: charge.cachedTokens,
        estimated: charge.estimated,
        costPicos: parseUsd(charge.costUsd),
        latencyMs: charge.latencyMs,
        outcome: charge.outcome,
        error: charge.error,
      });
    },
  };
}

export type LedgerActivities = ReturnType<typeof createLedgerActivities>;
