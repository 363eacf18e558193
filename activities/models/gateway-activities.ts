import { Context } from '@temporalio/activity';
import { callCost } from '../../domain/money.js';
import { Prisma } from '../store/prisma.js';
import type { PrismaClient } from '../store/prisma.js';
import { openCircuits, recordProviderOutcome, type CircuitSettings } from '../store/circuits.js';
import { recordModelCall } from '../store/costs.js';
import { countsAgainstProvider, failureResponse, forwardModelCall, type ModelCallInput, type ModelHttpResponse, usageFromAnswer } from './gateway.js';
import { countTokens } from './tokens.js';

const HEARTBEAT_MS = 2_000;

/** The activities of a model's task queue: the calls themselves, and the circuit breaker's bookkeeping. */
export function createGatewayActivities({ prisma, circuit, env }: { prisma: PrismaClient; circuit: CircuitSettings; env: Record<string, string | undefined> }) {
  return {
    async forwardModelCall(input: ModelCallInput): Promise<ModelHttpResponse> {
      const context = Context.current();
      const until = (await openCircuits(prisma))[input.providerId];
      if (until) return failureResponse(503, `${input.providerId} is failing: Maestro skips it until ${until}`);

      const heartbeat = setInterval(() => context.heartbeat(), HEARTBEAT_MS);
      try {
        const startedAt = new Date();
        const result = await forwardModelCall(input, env, context.cancellationSignal);
        const callId = context.info.workflowExecution?.workflowId ?? context.info.activityId;
        if (result.outcome === 'ok') {
          // Every answered call is charged here, once, whatever becomes of the caller: the provider charges it too.
          const reported = usageFromAnswer(input.provider.kind, result.response.body);
          const usage = reported ?? { inputTokens: countTokens(input.request.body), outputTokens: countTokens(result.response.body), cachedInputTokens: 0 };
          await recordModelCall(prisma, {
            idempotencyKey: `gateway/${callId}`,
            occurredAt: startedAt,
            ...input.meta,
            provider: input.providerId,
            model: input.modelId,
            inputTokens: usage.inputTokens,
            outputTokens: usage.outputTokens,
            cachedTokens: usage.cachedInputTokens ?? 0,
            estimated: reported === undefined,
            costPicos: callCost(usage, input.prices),
            latencyMs: result.latencyMs,
          });
          await prisma.providerCircuit.updateMany({ where: { provider: input.providerId, consecutiveFailures: { gt: 0 } }, data: { consecutiveFailures: 0, openUntil: null } });
          return result.response;
        }
        await prisma.modelCall.createMany({
          data: [
            {
              projectId: input.meta.projectId,
              subtaskId: input.meta.subtaskId,
              workflowId: input.meta.workflowId,
              role: input.meta.role,
              phase: input.meta.phase,
              purpose: input.meta.purpose,
              provider: input.providerId,
              model: input.modelId,
              inputTokens: 0,
              outputTokens: 0,
              costUsd: new Prisma.Decimal(0),
              latencyMs: result.latencyMs,
              outcome: result.outcome,
              error: result.error,
              idempotencyKey: `gateway/${callId}`,
            },
          ],
          skipDuplicates: true,
        });
        if (countsAgainstProvider(result.outcome, result.response.status)) {
          const trip = await recordProviderOutcome(prisma, input.providerId, { ok: false, error: result.error ?? result.outcome }, circuit);
          if (trip.opened) {
            await prisma.activityEvent.createMany({
              data: [
                {
                  projectId: input.meta.projectId,
                  subtaskId: input.meta.subtaskId,
                  workflowId: input.meta.workflowId,
                  actor: 'system',
                  kind: 'provider.circuit_open',
                  message: `${input.providerId} failed ${trip.failures} calls in a row (last: ${result.error ?? result.outcome}): skipped until ${trip.until!.toISOString()}; its work goes to the fallback models`,
                  data: { provider: input.providerId, model: input.modelId, until: trip.until!.toISOString(), failures: trip.failures },
                  idempotencyKey: `circuit/${input.providerId}/${trip.until!.toISOString()}`,
                },
              ],
              skipDuplicates: true,
            });
          }
        }
        return result.response;
      } finally {
        clearInterval(heartbeat);
      }
    },
  };
}

export type GatewayActivities = ReturnType<typeof createGatewayActivities>;
