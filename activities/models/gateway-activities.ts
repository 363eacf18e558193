import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ModelEntry, ProviderSettings } from '../../domain/models.js';
import { callCost, formatUsdExact } from '../../domain/money.js';
import type { PrismaClient } from '../../data/prisma.js';
import {
  type CircuitSettings,
  closeCircuit,
  openCircuits,
  recordCircuitOpened,
  recordProviderOutcome,
} from '../../data/circuits.js';
import {
  countsAgainstProvider,
  failureResponse,
  forwardModelCall,
  type GatewayAnswer,
  type ModelCallInput,
  usageFromAnswer,
} from './gateway.js';
import { GATEWAY_STOPPED } from './model-transport.js';
import { countTokens } from './tokens.js';

const HEARTBEAT_MS = 2_000;

export interface GatewayDeps {
  prisma: PrismaClient;
  /** This process's own providers, registry and prices: what a caller says of them is not trusted. */
  models: { providers: Record<string, ProviderSettings>; registry: Record<string, ModelEntry> };
  circuit: CircuitSettings;
  /** Where the keys are: this process's environment. */
  env: Record<string, string | undefined>;
}

/** The activity of a model's task queue: the call itself, what it costs, and the circuit breaker's bookkeeping. */
export function createGatewayActivities({ prisma, models, circuit, env }: GatewayDeps) {
  return {
    async forwardModelCall(input: ModelCallInput): Promise<GatewayAnswer> {
      const context = Context.current();
      const { model, settings } = servedModel(models, input);
      const startedAt = new Date().toISOString();
      const until = (await openCircuits(prisma))[input.providerId];
      if (until) {
        const error = `${input.providerId} is failing: Maestro skips it until ${until}`;
        return {
          response: failureResponse(503, error),
          charge: {
            outcome: 'error',
            startedAt,
            latencyMs: 0,
            inputTokens: 0,
            outputTokens: 0,
            cachedTokens: 0,
            estimated: false,
            costUsd: formatUsdExact(0n),
            error,
          },
        };
      }

      const heartbeat = setInterval(() => context.heartbeat(), HEARTBEAT_MS);
      try {
        const result = await forwardModelCall(
          input,
          { id: input.providerId, settings },
          env,
          context.cancellationSignal,
        ).catch((error: unknown) => {
          if (context.cancellationDetails?.workerShutdown) {
            throw ApplicationFailure.retryable(
              `the ${input.modelId} gateway stopped (its worker shut down) before the model answered`,
              GATEWAY_STOPPED,
            );
          }
          throw error;
        });
        if (result.outcome === 'ok') {
          await closeCircuit(prisma, input.providerId);
          const reported = usageFromAnswer(settings.kind, result.response.body);
          const usage = reported ?? {
            inputTokens: countTokens(input.request.body),
            outputTokens: countTokens(result.response.body),
            cachedInputTokens: 0,
          };
          return {
            response: result.response,
            charge: {
              outcome: 'ok',
              startedAt,
              latencyMs: result.latencyMs,
              inputTokens: usage.inputTokens,
              outputTokens: usage.outputTokens,
              cachedTokens: usage.cachedInputTokens ?? 0,
              estimated: reported === undefined,
              costUsd: formatUsdExact(callCost(usage, model)),
            },
          };
        }
        if (countsAgainstProvider(result.outcome, result.response.status)) {
          const trip = await recordProviderOutcome(
            prisma,
            input.providerId,
            { ok: false, error: result.error ?? result.outcome },
            circuit,
          );
          if (trip.opened)
            await recordCircuitOpened(
              prisma,
              { provider: input.providerId, model: input.modelId, ...input.meta },
              trip.failures,
              trip.until!,
              result.error ?? result.outcome,
            );
        }
        return {
          response: result.response,
          charge: {
            outcome: result.outcome,
            startedAt,
            latencyMs: result.latencyMs,
            inputTokens: 0,
            outputTokens: 0,
            cachedTokens: 0,
            estimated: false,
            costUsd: formatUsdExact(0n),
            error: result.error,
          },
        };
      } finally {
        clearInterval(heartbeat);
      }
    },
  };
}

/** The model and provider as this gateway's configuration has them; a call for anything else is refused. */
export function servedModel(
  models: GatewayDeps['models'],
  input: Pick<ModelCallInput, 'modelId' | 'providerId'>,
): { model: ModelEntry; settings: ProviderSettings } {
  const model = models.registry[input.modelId];
  const settings = model && models.providers[model.provider];
  if (!model || !settings || model.provider !== input.providerId) {
    throw ApplicationFailure.nonRetryable(
      `refused: this gateway does not serve ${input.modelId} of ${input.providerId}`,
      'ModelCallRefused',
    );
  }
  return { model, settings };
}

export type GatewayActivities = ReturnType<typeof createGatewayActivities>;
