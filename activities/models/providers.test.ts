import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateText, tool } from 'ai';
import { afterAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import type { ProviderKind, ProviderSettings } from '../../domain/models.js';
import type { ScriptedConversation } from '../../stack/scripted-model/script.js';
import { startScriptedModelServer } from '../../stack/scripted-model/server.js';
import { servedModel } from './gateway-activities.js';
import { countsAgainstProvider, forwardModelCall, type ModelCallInput, usageFromAnswer } from './gateway.js';
import { directTransport, fetchThrough } from './model-transport.js';
import { createMeteredModel } from './metered-model.js';
import { KEY_PLACEHOLDER, createLanguageModel, virtualBaseUrlOf } from './providers.js';

/**
 * Each provider's real AI SDK client, sending through the gateway's forwarding code, against the
 * scripted server speaking that provider's protocol.
 */
const KEYS = {
  OPENAI_TEST_KEY: 'sk-test-openai-000000000001',
  ANTHROPIC_TEST_KEY: 'sk-ant-test-000000000002',
  GEMINI_TEST_KEY: 'AIza-test-000000000003',
  DEEPSEEK_TEST_KEY: 'sk-test-deepseek-00000004',
};

const conversations: ScriptedConversation[] = [];
const server = await startScriptedModelServer({ script: { name: 'providers', conversations } });
afterAll(() => server.close());

function script(...added: ScriptedConversation[]) {
  conversations.unshift(...added);
  server.setScript({ name: 'providers', conversations });
}

const PROVIDERS: Array<{
  kind: ProviderKind;
  settings: ProviderSettings;
  protocol: 'openai' | 'anthropic' | 'google';
  keyHeader: string;
  keyValue: string;
}> = [
  {
    kind: 'openai',
    settings: { kind: 'openai', baseUrl: `${server.origin}/openai/v1`, apiKeyEnv: 'OPENAI_TEST_KEY' },
    protocol: 'openai',
    keyHeader: 'authorization',
    keyValue: `Bearer ${KEYS.OPENAI_TEST_KEY}`,
  },
  {
    kind: 'anthropic',
    settings: { kind: 'anthropic', baseUrl: `${server.origin}/anthropic/v1`, apiKeyEnv: 'ANTHROPIC_TEST_KEY' },
    protocol: 'anthropic',
    keyHeader: 'x-api-key',
    keyValue: KEYS.ANTHROPIC_TEST_KEY,
  },
  {
    kind: 'google',
    settings: { kind: 'google', baseUrl: `${server.origin}/google/v1beta`, apiKeyEnv: 'GEMINI_TEST_KEY' },
    protocol: 'google',
    keyHeader: 'x-goog-api-key',
    keyValue: KEYS.GEMINI_TEST_KEY,
  },
  {
    kind: 'deepseek',
    settings: { kind: 'deepseek', baseUrl: `${server.origin}/deepseek`, apiKeyEnv: 'DEEPSEEK_TEST_KEY' },
    protocol: 'openai',
    keyHeader: 'authorization',
    keyValue: `Bearer ${KEYS.DEEPSEEK_TEST_KEY}`,
  },
  {
    kind: 'openai-compatible',
    settings: { kind: 'openai-compatible', baseUrl: `${server.origin}/v1` },
    protocol: 'openai',
    keyHeader: 'authorization',
    keyValue: '',
  },
];

function call(
  provider: ProviderSettings,
  modelName: string,
  options: { timeoutMs?: number; maxRetries?: number } = {},
) {
  const transport = directTransport({ id: provider.kind, settings: provider }, KEYS);
  const fetch = fetchThrough(transport, {
    modelId: modelName,
    providerId: provider.kind,
    taskQueue: 'unused-here',
    timeoutMs: options.timeoutMs ?? 10_000,
    meta: { purpose: 'agent' },
  });
  return generateText({
    // Addressed as a workflow's calls are: by the provider's id, mapped by the gateway onto its base URL.
    model: createLanguageModel(provider.kind, virtualBaseUrlOf(provider.kind), modelName, fetch),
    prompt: `Maestro agent — role: developer, phase: green, subtask: p-${modelName}, attempt: 1\n\nAdd two numbers.`,
    tools: {
      write_file: tool({
        description: 'write a file',
        inputSchema: z.object({ path: z.string(), content: z.string() }),
      }),
    },
    maxRetries: options.maxRetries ?? 2,
  });
}

describe.each(PROVIDERS)('the $kind provider', ({ kind, settings, protocol, keyHeader, keyValue }) => {
  const model = `model-${kind}`;

  test('a tool call and the usage come back, and the key is the real one, added by the gateway', async () => {
    script({
      match: { model, protocol },
      turns: [
        {
          content: 'Writing it.',
          toolCalls: [
            { name: 'write_file', arguments: { path: 'src/add.js', content: 'export const add = (a, b) => a + b;\n' } },
          ],
          usage: { inputTokens: 1_234, outputTokens: 56 },
        },
      ],
    });
    const result = await call(settings, model);
    expect(result.toolCalls).toEqual([
      expect.objectContaining({
        toolName: 'write_file',
        input: { path: 'src/add.js', content: 'export const add = (a, b) => a + b;\n' },
      }),
    ]);
    expect(result.usage).toMatchObject({ inputTokens: 1_234, outputTokens: 56 });
    const request = server.requests.filter((recorded) => recorded.model === model).at(-1)!;
    expect(request.protocol).toBe(protocol);
    if (keyValue) expect(request.headers[keyHeader]).toBe(keyValue);
    else expect(request.headers.authorization).toBeUndefined();
    expect(JSON.stringify(request.headers)).not.toContain(KEY_PLACEHOLDER);
  });

  test('a 429 with retry-after is waited out and retried', async () => {
    const rateLimited = `${model}-429`;
    script({
      match: { model: rateLimited },
      turns: [{ content: 'done', failFirst: { times: 1, httpStatus: 429, retryAfterSeconds: 1 } }],
    });
    const result = await call(settings, rateLimited);
    expect(result.text).toBe('done');
    const [first, second] = server.requests.filter((recorded) => recorded.model === rateLimited);
    expect([first!.status, second!.status]).toEqual([429, 200]);
    // The client honoured retry-after (1 s) rather than its own short first back-off.
    expect(Date.parse(second!.at) - Date.parse(first!.answeredAt!)).toBeGreaterThanOrEqual(900);
  });

  test('a model that does not answer in time is cut off with that reason', async () => {
    const slow = `${model}-slow`;
    script({ match: { model: slow }, turns: [{ content: 'too late', delayMs: 3_000 }] });
    await expect(call(settings, slow, { timeoutMs: 500, maxRetries: 0 })).rejects.toThrow(
      /model-.*-slow did not answer within 0.5 s/,
    );
  });

  test('an answer that is not JSON fails clearly', async () => {
    const broken = `${model}-malformed`;
    script({ match: { model: broken }, turns: [{ content: 'x', malformed: true }] });
    await expect(call(settings, broken, { maxRetries: 0 })).rejects.toThrow(/JSON|parse|Invalid/i);
  });
});

describe('the gateway', () => {
  const openai: ProviderSettings = {
    kind: 'openai',
    baseUrl: `${server.origin}/openai/v1`,
    apiKeyEnv: 'OPENAI_TEST_KEY',
  };
  const input = (url: string): ModelCallInput => ({
    modelId: 'm',
    providerId: 'openai',
    taskQueue: 'unused-here',
    timeoutMs: 5_000,
    request: {
      url,
      method: 'POST',
      headers: { authorization: `Bearer ${KEY_PLACEHOLDER}`, 'content-type': 'application/json' },
      body: '{}',
    },
    meta: { purpose: 'agent' },
  });
  const forward = (request: ModelCallInput, settings: ProviderSettings = openai) =>
    forwardModelCall(request, { id: 'openai', settings }, KEYS, new AbortController().signal);

  test('serves only the models of its own configuration, whatever the caller says of them', () => {
    const models = {
      providers: { openai },
      registry: {
        m: {
          provider: 'openai',
          contextWindow: 8_192,
          inputPerMillion: 1,
          outputPerMillion: 1,
          toolCalling: true,
          maxConcurrent: 1,
        },
      },
    };
    expect(servedModel(models, { modelId: 'm', providerId: 'openai' }).settings).toBe(openai);
    expect(() => servedModel(models, { modelId: 'm', providerId: 'anthropic' })).toThrow(
      /does not serve m of anthropic/,
    );
    expect(() => servedModel(models, { modelId: 'other', providerId: 'openai' })).toThrow(/does not serve other/);
  });

  test('sends a key only to its provider’s own base URL, and follows no redirect', async () => {
    await expect(forward(input('http://evil.example/v1/chat/completions'))).rejects.toThrow(
      /not addressed to openai \(http:\/\/provider\.maestro\.invalid\/openai\/…\) nor under its base URL/,
    );
    await expect(forward(input(`${server.origin}/openai/v1-evil/chat`))).rejects.toThrow(/not addressed/);
    await expect(forward(input(`${virtualBaseUrlOf('openai')}-evil/chat`))).rejects.toThrow(/not addressed/);
    await expect(forward(input(`${virtualBaseUrlOf('anthropic')}/chat/completions`))).rejects.toThrow(/not addressed/);
    await expect(forward(input(`${virtualBaseUrlOf('openai')}/../../elsewhere`))).rejects.toThrow(/not addressed/);
    const elsewhere = await localServer((_req, res) => {
      res.writeHead(307, { location: `${server.origin}/v1/chat/completions` });
      res.end();
    });
    const redirecting = { ...openai, baseUrl: `${elsewhere.origin}/v1` };
    const result = await forward(input(`${elsewhere.origin}/v1/chat/completions`), redirecting);
    expect(result).toMatchObject({ outcome: 'error', response: { status: 504 } });
    expect(
      server.requests.filter(
        (request) => request.headers.authorization?.includes(KEYS.OPENAI_TEST_KEY) && request.at > elsewhere.startedAt,
      ),
    ).toEqual([]);
    await elsewhere.close();
  });

  test('a model built from a snapshot with an old address is served at the address the gateway has now', async () => {
    const moved = await startScriptedModelServer({
      script: { name: 'moved', conversations: [{ match: { model: 'moved-model' }, turns: [{ content: 'here now' }] }] },
    });
    const sent: string[] = [];
    const gateway = directTransport(
      { id: 'custom', settings: { kind: 'openai-compatible', baseUrl: moved.baseUrl } },
      {},
    );
    // As a workflow started before the move holds it: with the endpoint's old address.
    const held: ProviderSettings = { kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1' };
    const { model } = createMeteredModel({
      choice: {
        id: 'moved-model',
        provider: 'custom',
        providerSettings: held,
        contextWindow: 8_192,
        inputPerMillion: 0,
        outputPerMillion: 0,
        toolCalling: true,
        maxConcurrent: 1,
      },
      transport: (call, signal) => {
        sent.push(call.request.url);
        return gateway(call, signal);
      },
      meta: { purpose: 'agent' },
      timeoutMs: 5_000,
    });
    try {
      const result = await generateText({ model, prompt: 'Where are you?', maxRetries: 0 });
      expect(result.text).toBe('here now');
      expect(moved.requests.map((request) => request.model)).toEqual(['moved-model']);
      // What goes into Temporal's history names the provider, not an address.
      expect(sent).toEqual([`${virtualBaseUrlOf('custom')}/chat/completions`]);
    } finally {
      await moved.close();
    }
  });

  test('a provider whose key is missing where the gateway runs is refused, naming the variable', async () => {
    const anthropic: ProviderSettings = {
      kind: 'anthropic',
      baseUrl: `${server.origin}/anthropic/v1`,
      apiKeyEnv: 'ANTHROPIC_MISSING_KEY',
    };
    await expect(forward(input(`${server.origin}/anthropic/v1/messages`), anthropic)).rejects.toThrow(
      /ANTHROPIC_MISSING_KEY is not set/,
    );
  });

  test('a key the answer repeats is taken out of it, and the failure names the model and the status', async () => {
    const echo = await localServer((req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `invalid key: ${req.headers.authorization}` } }));
    });
    const result = await forward(input(`${echo.origin}/v1/chat/completions`), {
      ...openai,
      baseUrl: `${echo.origin}/v1`,
    });
    expect(result).toMatchObject({ outcome: 'error', response: { status: 401 } });
    expect(result.response.body).toContain('invalid key: Bearer [redacted]');
    expect(result.response.body).not.toContain(KEYS.OPENAI_TEST_KEY);
    expect(result.error).toMatch(/^m answered 401: /);
    expect(result.error).not.toContain(KEYS.OPENAI_TEST_KEY);
    await echo.close();
  });

  test('a keyless endpoint answering 401 says how to give it a key', async () => {
    const locked = await localServer((_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"no key"}}');
    });
    const result = await forward(input(`${locked.origin}/v1/chat/completions`), {
      kind: 'openai-compatible',
      baseUrl: `${locked.origin}/v1`,
    });
    expect(result.error).toMatch(
      /is given no key: if it needs one, name its variable in apiKeyEnv, or MAESTRO_MODEL_API_KEY_ENV/,
    );
    await locked.close();
  });

  test('a provider in trouble counts against its circuit; a rate limit or a bad request does not', () => {
    expect(countsAgainstProvider('error', 500)).toBe(true);
    expect(countsAgainstProvider('error', 401)).toBe(true);
    expect(countsAgainstProvider('timeout', 504)).toBe(true);
    expect(countsAgainstProvider('malformed', 200)).toBe(true);
    expect(countsAgainstProvider('rate_limited', 429)).toBe(false);
    expect(countsAgainstProvider('error', 400)).toBe(false);
    expect(countsAgainstProvider('ok', 200)).toBe(false);
  });

  test('usage is read the way each protocol reports it', () => {
    expect(
      usageFromAnswer(
        'openai',
        '{"usage":{"prompt_tokens":100,"completion_tokens":20,"prompt_tokens_details":{"cached_tokens":40}}}',
      ),
    ).toEqual({ inputTokens: 100, outputTokens: 20, cachedInputTokens: 40 });
    expect(
      usageFromAnswer(
        'deepseek',
        '{"usage":{"prompt_tokens":100,"completion_tokens":20,"prompt_cache_hit_tokens":60}}',
      ),
    ).toEqual({ inputTokens: 100, outputTokens: 20, cachedInputTokens: 60 });
    expect(
      usageFromAnswer('anthropic', '{"usage":{"input_tokens":30,"output_tokens":5,"cache_read_input_tokens":70}}'),
    ).toEqual({ inputTokens: 100, outputTokens: 5, cachedInputTokens: 70 });
    expect(
      usageFromAnswer(
        'google',
        '{"usageMetadata":{"promptTokenCount":100,"candidatesTokenCount":7,"thoughtsTokenCount":3,"cachedContentTokenCount":10}}',
      ),
    ).toEqual({ inputTokens: 100, outputTokens: 10, cachedInputTokens: 10 });
    expect(usageFromAnswer('openai', '{"choices":[]}')).toBeUndefined();
    expect(usageFromAnswer('openai', 'not json')).toBeUndefined();
  });
});

/** A throwaway HTTP server on a port of its own. */
async function localServer(handle: http.RequestListener) {
  const local = http.createServer(handle);
  local.listen(0, '127.0.0.1');
  await once(local, 'listening');
  const { port } = local.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    startedAt: new Date().toISOString(),
    close: () => new Promise<void>((resolve) => local.close(() => resolve())),
  };
}
