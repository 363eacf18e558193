import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ModelEntry, ProviderSettings } from '../../domain/models.js';
import { callCost, formatUsd, formatUsdExact, parseUsd } from '../../domain/money.js';
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
  type ModelCharge,
  usageFromAnswer,
} from './gateway.js';
import {
  budgetStatus,
  markModelCallUnknown,
  recordModelCall,
  reserveModelCall,
  workflowSpend,
} from '../../data/costs.js';
import { AGENT_FAILURE_TYPES } from '../../domain/agent-failure.js';
import { type ModelStepInput, type ModelStepResult, runModelStep } from '../agents/model-step.js';
import { classifyRunFailure } from '../agents/run-failure.js';
import { type Question, askThrough } from '../agents/ask-model.js';
import { ledgerEntryOf, ledgerKeyOf } from './ledger-activities.js';
import { reservedUsage } from './call-reservation.js';
import { GATEWAY_STOPPED, type ModelTransport } from './model-transport.js';
import { countTokens } from './tokens.js';

/** What a step's calls cost (exact, twelve decimals), and how many were answered. */
interface Spent {
  costUsd: string;
  calls: number;
}

/** A workflow's question to a model, asked on the model's queue. */
export interface QuestionStepInput extends Question {
  /** The asking workflow's id for this question (`<workflow>/<run>/review-<n>`): its ledger lines are keyed by it. */
  callId: string;
  timeoutMs: number;
}

const HEARTBEAT_MS = 2_000;
const SETTLE_ATTEMPTS = 4;
const SETTLE_RETRY_MS = 250;
/** How long after a call's own timeout its answer may still be written to the ledger. */
const SETTLE_MARGIN_MS = 60_000;

export interface GatewayDeps {
  prisma: PrismaClient;
  /** This process's own providers, registry and prices: what a caller says of them is not trusted. */
  models: { providers: Record<string, ProviderSettings>; registry: Record<string, ModelEntry> };
  circuit: CircuitSettings;
  /** Where the keys are: this process's environment. */
  env: Record<string, string | undefined>;
  /** The projects' budgets: an agent's step is refused at the emergency tier. */
  budgets?: Parameters<typeof budgetStatus>[2];
}

/** How often a step in flight looks at its project's budget. */
const BUDGET_WATCH_MS = 5_000;

/** The activity of a model's task queue: the call itself, what it costs, and the circuit breaker's bookkeeping. */
export function createGatewayActivities({ prisma, models, circuit, env, budgets }: GatewayDeps) {
  return {
    /**
     * The call, and its line of the ledger: written before it is sent (at the most it can cost),
     * settled here as soon as it is answered, even when the caller has stopped waiting for it (the
     * model-call workflow writes it again, a no-op unless the database failed this write).
     */
    async forwardModelCall(input: ModelCallInput): Promise<GatewayAnswer> {
      const context = Context.current();
      return answerAndRecord(input, context.info.workflowExecution?.workflowId ?? context.info.activityId);
    },

    /**
     * One step of an agent's run (see workflows/agent-run.ts): the model call, each of its HTTP
     * calls in the ledger before it is sent and settled when answered. A retry (this gateway went
     * away) sends again under new keys: what was sent before stays charged at its most.
     */
    agentModelStep: (input: ModelStepInput): Promise<ModelStepResult & Spent> =>
      meteredStep(input, (transport, signal) => runModelStep(input, transport, signal)),

    /**
     * A question of a workflow's (a strategic review, a judge's scores) and its answer, metered as
     * an agent's step is: no workflow per call.
     */
    askModelStep: async (input: QuestionStepInput): Promise<{ text: string } & Spent> =>
      meteredStep(input, async (transport, signal) => ({
        text: await askThrough(transport, input, input.timeoutMs, signal),
      })),
  };

  /**
   * A model call made here, on the model's queue, with each HTTP call in the ledger (keys
   * `<callId>/<attempt>/<n>`); refused at the project's emergency limit, and cut when the project
   * reaches it mid-call.
   */
  async function meteredStep<T>(
    input: Pick<ModelStepInput, 'callId' | 'choice' | 'meta' | 'spendCap'>,
    call: (transport: ModelTransport, signal: AbortSignal) => Promise<T>,
  ): Promise<T & Spent> {
    const context = Context.current();
    const refuse = () => refuseOverBudget(input.meta.projectId, input.spendCap);
    await refuse();
    const charges: ModelCharge[] = [];
    let sent = 0;
    const transport: ModelTransport = async (request, signal) => {
      const answer = await answerAndRecord(
        { ...request, modelId: input.choice.id, providerId: input.choice.provider, meta: input.meta },
        `${input.callId}/${context.info.attempt}/${++sent}`,
        signal,
      );
      charges.push(answer.charge);
      return answer.response;
    };
    // Another subtask can push the project over while this call is in flight: it is cut then.
    const overBudget = new AbortController();
    const watch =
      input.meta.projectId || input.spendCap
        ? setInterval(
            () =>
              void refuse().catch((error: unknown) => {
                if (error instanceof ApplicationFailure && !overBudget.signal.aborted) overBudget.abort(error);
              }),
            BUDGET_WATCH_MS,
          )
        : undefined;
    // Between HTTP calls too (the AI SDK waits out a 429's retry-after): the step is alive.
    const heartbeat = setInterval(() => context.heartbeat(), HEARTBEAT_MS);
    try {
      const result = await call(transport, AbortSignal.any([context.cancellationSignal, overBudget.signal]));
      return {
        ...result,
        costUsd: formatUsdExact(charges.reduce((sum, charge) => sum + parseUsd(charge.costUsd), 0n)),
        calls: charges.filter((charge) => charge.outcome === 'ok').length,
      };
    } catch (error) {
      if (overBudget.signal.aborted) throw overBudget.signal.reason as ApplicationFailure;
      if (context.cancellationDetails?.workerShutdown)
        throw ApplicationFailure.retryable(
          `the ${input.choice.id} gateway stopped (its worker shut down) before the model answered`,
          GATEWAY_STOPPED,
        );
      if (context.cancellationSignal.aborted) throw error;
      if (error instanceof ApplicationFailure) throw error;
      throw classifyRunFailure(error, input.choice.id) ?? error;
    } finally {
      clearInterval(watch);
      clearInterval(heartbeat);
    }
  }

  /** Refuses a step once the project is at its emergency limit, whoever spent it, or its council at its cap. */
  async function refuseOverBudget(projectId: string | undefined, spendCap: ModelStepInput['spendCap']) {
    if (projectId && budgets) {
      const status = await budgetStatus(prisma, projectId, budgets);
      if (status.tier === 'emergency')
        throw ApplicationFailure.nonRetryable(
          `Stopped: the project spent ${formatUsd(parseUsd(status.spentUsd))}, at or over its emergency limit of ${formatUsd(parseUsd(status.limits.emergencyUsd))}.`,
          AGENT_FAILURE_TYPES.budget,
        );
    }
    if (spendCap) {
      const spent = await workflowSpend(prisma, spendCap.workflowId);
      if (spent >= parseUsd(spendCap.usd))
        throw ApplicationFailure.nonRetryable(
          `Stopped: the council spent ${formatUsd(spent)}, at or over its cap of ${formatUsd(parseUsd(spendCap.usd))}.`,
          AGENT_FAILURE_TYPES.budget,
        );
    }
  }

  /**
   * The call, and its line of the ledger: written before it is sent (at the most it can cost),
   * settled here as soon as it is answered, even when the caller has stopped waiting for it (the
   * model-call workflow writes it again, a no-op unless the database failed this write).
   */
  async function answerAndRecord(input: ModelCallInput, callId: string, signal?: AbortSignal): Promise<GatewayAnswer> {
    const context = Context.current();
    const answer = await forward(input, callId, signal);
    const entry = ledgerEntryOf({
      callId,
      modelId: input.modelId,
      providerId: input.providerId,
      meta: input.meta,
      charge: answer.charge,
    });
    for (let attempt = 1; ; attempt++) {
      try {
        await recordModelCall(prisma, entry);
        break;
      } catch (error) {
        if (attempt >= SETTLE_ATTEMPTS) {
          // Never lost: a line left `sent` is swept to `unknown` at its most (and a model-call workflow writes it again).
          context.log.warn('the ledger line of an answered call could not be settled; it stays at its most', { error });
          break;
        }
        await sleep(SETTLE_RETRY_MS * attempt);
      }
    }
    return answer;
  }

  async function forward(
    input: ModelCallInput,
    callId: string,
    signal: AbortSignal = Context.current().cancellationSignal,
  ): Promise<GatewayAnswer> {
    const context = Context.current();
    const { model, settings } = servedModel(models, input);
    const startedAt = new Date().toISOString();
    const until = (await openCircuits(prisma))[input.providerId];
    if (until) {
      const error = `${input.providerId} is failing: Maestro skips it until ${until}`;
      return {
        response: failureResponse(503, error),
        charge: {
          outcome: 'skipped',
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

    const callKey = ledgerKeyOf(callId);
    const reserved = reservedUsage(input.request.body);
    await reserveModelCall(prisma, {
      idempotencyKey: callKey,
      occurredAt: new Date(startedAt),
      ...input.meta,
      provider: input.providerId,
      model: input.modelId,
      inputTokens: reserved.inputTokens,
      outputTokens: reserved.outputTokens,
      cachedTokens: 0,
      estimated: true,
      costPicos: 0n,
      reservedPicos: callCost(reserved, model),
      latencyMs: 0,
      // Past the call's own timeout and its activity's, an answer can no longer be recorded.
      settleBy: new Date(Date.parse(startedAt) + input.timeoutMs + SETTLE_MARGIN_MS),
    });

    const heartbeat = setInterval(() => context.heartbeat(), HEARTBEAT_MS);
    try {
      const result = await forwardModelCall(input, { id: input.providerId, settings }, env, signal).catch(
        async (error: unknown) => {
          await markModelCallUnknown(
            prisma,
            callKey,
            `the call was ${context.cancellationDetails?.workerShutdown ? 'given up when its gateway stopped' : signal.reason instanceof ApplicationFailure ? `cut (${signal.reason.message})` : 'cancelled'} before the model answered; counted at the most it can cost`,
          ).catch(() => undefined);
          if (context.cancellationDetails?.workerShutdown) {
            throw ApplicationFailure.retryable(
              `the ${input.modelId} gateway stopped (its worker shut down) before the model answered`,
              GATEWAY_STOPPED,
            );
          }
          throw error;
        },
      );
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
      // A provider that did not answer in time may still charge for the call: it stays at its most.
      const charged = result.outcome === 'timeout' ? reserved : { inputTokens: 0, outputTokens: 0 };
      return {
        response: result.response,
        charge: {
          outcome: result.outcome,
          startedAt,
          latencyMs: result.latencyMs,
          ...charged,
          cachedTokens: 0,
          estimated: result.outcome === 'timeout',
          costUsd: formatUsdExact(result.outcome === 'timeout' ? callCost(reserved, model) : 0n),
          error: result.error,
        },
      };
    } finally {
      clearInterval(heartbeat);
    }
  }
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
