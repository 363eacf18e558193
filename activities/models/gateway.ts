import { ApplicationFailure } from '@temporalio/activity';
import type { ProviderKind, ProviderSettings } from '../../domain/models.js';
import type { TokenUsage } from '../../domain/money.js';
import { SecretScrubber } from '../../domain/redact.js';
import { KEY_HEADERS, baseUrlOf, keyHeadersFor, virtualBaseUrlOf } from './providers.js';

/** An HTTP request to a model provider, as the AI SDK made it (with the key placeholder, not the key). */
export interface ModelHttpRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
}

export interface ModelHttpResponse {
  status: number;
  statusText: string;
  headers: Record<string, string>;
  body: string;
}

/** Who a call is for: the ledger and the audit log say so. */
export interface ModelCallMeta {
  projectId?: string;
  subtaskId?: string;
  workflowId?: string;
  role?: string;
  phase?: string;
  purpose: string;
}

/** What the caller asks of a model's gateway; which provider and key, and the prices, are the gateway's own. */
export interface ModelCallInput {
  modelId: string;
  providerId: string;
  /** The model's own task queue: its workers' slots and rate limit are the model's limits. */
  taskQueue: string;
  timeoutMs: number;
  request: ModelHttpRequest;
  meta: ModelCallMeta;
}

/** How a call went, for the circuit breaker and the ledger (`skipped`: never sent, its provider's circuit is open). */
export type CallOutcome = 'ok' | 'rate_limited' | 'error' | 'malformed' | 'timeout' | 'skipped';

/** What a call costs and how it went, for the ledger (written by the model-call workflow, retried until it is). */
export interface ModelCharge {
  outcome: CallOutcome;
  startedAt: string;
  latencyMs: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  /** The provider reported no usage: the tokens were counted. */
  estimated: boolean;
  /** Exact, twelve decimals. */
  costUsd: string;
  error?: string;
}

export interface GatewayAnswer {
  response: ModelHttpResponse;
  charge: ModelCharge;
}

export interface ForwardResult {
  response: ModelHttpResponse;
  outcome: CallOutcome;
  latencyMs: number;
  /** Why it failed, in one line, secrets scrubbed. */
  error?: string;
}

/** What the gateway itself knows of the provider: from its own configuration, never from the caller. */
export interface ServedProvider {
  id: string;
  settings: ProviderSettings;
}

/**
 * Makes the call: takes out whatever key header the caller set, adds the real key from this process's
 * environment, and sends it only to the provider's own base URL (as the gateway's configuration has
 * it now), following no redirect. A key the answer repeats is taken out of it.
 */
export async function forwardModelCall(
  input: ModelCallInput,
  served: ServedProvider,
  env: Record<string, string | undefined>,
  signal: AbortSignal,
): Promise<ForwardResult> {
  const url = providerUrlOf(input.request.url, served);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.request.headers)) {
    if (!(KEY_HEADERS as readonly string[]).includes(name.toLowerCase())) headers[name.toLowerCase()] = value;
  }
  let key: string | undefined;
  if (served.settings.apiKeyEnv) {
    key = env[served.settings.apiKeyEnv]?.trim();
    if (!key)
      throw ApplicationFailure.nonRetryable(
        `${served.settings.apiKeyEnv} is not set where the ${input.modelId} gateway runs`,
        'ModelUnavailable',
      );
    Object.assign(headers, keyHeadersFor(served.settings.kind, key));
  }
  const withoutKey = (text: string) => (key ? text.split(key).join('[redacted]') : text);

  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let response: Response;
  try {
    response = await fetch(url, {
      method: input.request.method,
      headers,
      body: input.request.method === 'GET' ? undefined : input.request.body,
      // A redirect could carry the key to another host.
      redirect: 'error',
      signal: AbortSignal.any([signal, AbortSignal.timeout(input.timeoutMs)]),
    });
  } catch (error) {
    if (signal.aborted) throw error;
    const timedOut = (error as Error).name === 'TimeoutError';
    const message = timedOut
      ? `${input.modelId} did not answer within ${(input.timeoutMs / 1000).toFixed(input.timeoutMs < 10_000 ? 1 : 0)} s`
      : `${input.modelId} could not be reached: ${withoutKey(causeOf(error))}`;
    return {
      response: failureResponse(504, message),
      outcome: timedOut ? 'timeout' : 'error',
      latencyMs: elapsed(),
      error: message,
    };
  }
  let body: string;
  try {
    body = withoutKey(await response.text());
  } catch (error) {
    if (signal.aborted) throw error;
    const message = `${input.modelId}'s answer broke off: ${causeOf(error)}`;
    return { response: failureResponse(502, message), outcome: 'error', latencyMs: elapsed(), error: message };
  }
  const answer: ModelHttpResponse = {
    status: response.status,
    statusText: response.statusText,
    headers: Object.fromEntries(response.headers),
    body,
  };
  const outcome = classify(answer);
  if (outcome === 'ok') return { response: answer, outcome, latencyMs: elapsed() };
  const hint =
    (answer.status === 401 || answer.status === 403) && !served.settings.apiKeyEnv
      ? ` (${served.id} is given no key: if it needs one, name its variable in apiKeyEnv, or MAESTRO_MODEL_API_KEY_ENV for the shorthand endpoint)`
      : '';
  return {
    response: answer,
    outcome,
    latencyMs: elapsed(),
    error: SecretScrubber.fromEnv(env).scrub(`${describeFailure(input.modelId, answer, outcome)}${hint}`),
  };
}

/**
 * Where a call addressed to the provider goes: a path under its id's virtual base URL (or, from a
 * caller of an earlier version, under its base URL) taken onto the base URL configured here. Anything
 * else, or a path that climbs out of the base (`/../`), is refused: the key goes nowhere else.
 */
export function providerUrlOf(requested: string, served: ServedProvider): string {
  const base = baseUrlOf(served.settings);
  const under = [virtualBaseUrlOf(served.id), base].find(
    (prefix) => requested === prefix || requested.startsWith(`${prefix}/`),
  );
  const target = under === undefined ? undefined : new URL(`${base}${requested.slice(under.length)}`).href;
  const root = new URL(base).href.replace(/\/+$/, '');
  if (!target || !(target === root || target.startsWith(`${root}/`) || target.startsWith(`${root}?`))) {
    throw ApplicationFailure.nonRetryable(
      `refused: ${requested} is not addressed to ${served.id} (${virtualBaseUrlOf(served.id)}/…) nor under its base URL ${base}`,
      'ModelCallRefused',
    );
  }
  return target;
}

function classify(response: ModelHttpResponse): CallOutcome {
  if (response.status === 429) return 'rate_limited';
  if (response.status >= 400) return 'error';
  if ((response.headers['content-type'] ?? '').includes('json')) {
    try {
      JSON.parse(response.body);
    } catch {
      return 'malformed';
    }
  }
  return 'ok';
}

/**
 * Failures that say the provider is in trouble (not that our request was wrong, nor that we call it
 * too often: a 429 is waited out, never a reason to open its circuit).
 */
export function countsAgainstProvider(outcome: CallOutcome, status: number): boolean {
  if (outcome === 'ok' || outcome === 'rate_limited' || outcome === 'skipped') return false;
  if (outcome === 'error') return status >= 500 || status === 401 || status === 403;
  return true;
}

function describeFailure(modelId: string, response: ModelHttpResponse, outcome: CallOutcome): string {
  if (outcome === 'malformed') return `${modelId} answered with JSON that does not parse`;
  return `${modelId} answered ${response.status}: ${response.body.slice(0, 300)}`;
}

/** An answer made here for a call that got none, in a shape every provider client reads as an error. */
export function failureResponse(status: number, message: string): ModelHttpResponse {
  return {
    status,
    statusText: message,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      type: 'error',
      error: { type: 'gateway_error', code: status, message, status: 'UNAVAILABLE' },
    }),
  };
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { message?: string; code?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

/** The usage a provider reported in its answer, read the way its protocol says; undefined when it reported none. */
export function usageFromAnswer(kind: ProviderKind, body: string): TokenUsage | undefined {
  let answer: Record<string, unknown>;
  try {
    answer = JSON.parse(body) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const count = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
  if (kind === 'anthropic') {
    const usage = answer.usage as Record<string, unknown> | undefined;
    const fresh = count(usage?.input_tokens);
    const output = count(usage?.output_tokens);
    if (fresh === undefined || output === undefined) return undefined;
    const read = count(usage?.cache_read_input_tokens) ?? 0;
    return {
      inputTokens: fresh + read + (count(usage?.cache_creation_input_tokens) ?? 0),
      outputTokens: output,
      cachedInputTokens: read,
    };
  }
  if (kind === 'google') {
    const usage = answer.usageMetadata as Record<string, unknown> | undefined;
    const input = count(usage?.promptTokenCount);
    if (input === undefined) return undefined;
    return {
      inputTokens: input,
      outputTokens: (count(usage?.candidatesTokenCount) ?? 0) + (count(usage?.thoughtsTokenCount) ?? 0),
      cachedInputTokens: count(usage?.cachedContentTokenCount) ?? 0,
    };
  }
  const usage = answer.usage as Record<string, unknown> | undefined;
  const input = count(usage?.prompt_tokens);
  const output = count(usage?.completion_tokens);
  if (input === undefined || output === undefined) return undefined;
  const details = usage?.prompt_tokens_details as Record<string, unknown> | undefined;
  return {
    inputTokens: input,
    outputTokens: output,
    cachedInputTokens: count(details?.cached_tokens) ?? count(usage?.prompt_cache_hit_tokens) ?? 0,
  };
}
