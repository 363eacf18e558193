import { generateText, tool } from 'ai';
import { afterAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import type { ProviderKind, ProviderSettings } from '../../domain/models.js';
import { type ScriptedConversation, startScriptedModelServer } from '../../stack/scripted-model/server.js';
import { forwardModelCall, type ModelCallInput } from './gateway.js';
import { directTransport, fetchThrough } from './model-transport.js';
import { KEY_PLACEHOLDER, createLanguageModel } from './providers.js';

/**
 * Each provider's real AI SDK client, sending through the gateway's forwarding code, against the
 * scripted server speaking that provider's protocol.
 */
const KEYS = { OPENAI_TEST_KEY: 'sk-test-openai-000000000001', ANTHROPIC_TEST_KEY: 'sk-ant-test-000000000002', GEMINI_TEST_KEY: 'AIza-test-000000000003', DEEPSEEK_TEST_KEY: 'sk-test-deepseek-00000004' };

const FREE = { inputPerMillion: 0, outputPerMillion: 0 };
const conversations: ScriptedConversation[] = [];
const server = await startScriptedModelServer({ script: { name: 'providers', conversations } });
afterAll(() => server.close());

function script(...added: ScriptedConversation[]) {
  conversations.unshift(...added);
  server.setScript({ name: 'providers', conversations });
}

const PROVIDERS: Array<{ kind: ProviderKind; settings: ProviderSettings; protocol: 'openai' | 'anthropic' | 'google'; keyHeader: string; keyValue: string }> = [
  { kind: 'openai', settings: { kind: 'openai', baseUrl: `${server.origin}/openai/v1`, apiKeyEnv: 'OPENAI_TEST_KEY' }, protocol: 'openai', keyHeader: 'authorization', keyValue: `Bearer ${KEYS.OPENAI_TEST_KEY}` },
  { kind: 'anthropic', settings: { kind: 'anthropic', baseUrl: `${server.origin}/anthropic/v1`, apiKeyEnv: 'ANTHROPIC_TEST_KEY' }, protocol: 'anthropic', keyHeader: 'x-api-key', keyValue: KEYS.ANTHROPIC_TEST_KEY },
  { kind: 'google', settings: { kind: 'google', baseUrl: `${server.origin}/google/v1beta`, apiKeyEnv: 'GEMINI_TEST_KEY' }, protocol: 'google', keyHeader: 'x-goog-api-key', keyValue: KEYS.GEMINI_TEST_KEY },
  { kind: 'deepseek', settings: { kind: 'deepseek', baseUrl: `${server.origin}/deepseek`, apiKeyEnv: 'DEEPSEEK_TEST_KEY' }, protocol: 'openai', keyHeader: 'authorization', keyValue: `Bearer ${KEYS.DEEPSEEK_TEST_KEY}` },
  { kind: 'openai-compatible', settings: { kind: 'openai-compatible', baseUrl: `${server.origin}/v1` }, protocol: 'openai', keyHeader: 'authorization', keyValue: '' },
];

function call(provider: ProviderSettings, modelName: string, options: { timeoutMs?: number; maxRetries?: number } = {}) {
  const transport = directTransport(KEYS);
  const fetch = fetchThrough(transport, { modelId: modelName, providerId: provider.kind, provider, taskQueue: 'unused-here', prices: FREE, timeoutMs: options.timeoutMs ?? 10_000, meta: { purpose: 'agent' } });
  return generateText({
    model: createLanguageModel(provider, modelName, fetch),
    prompt: `Maestro agent — role: developer, phase: green, subtask: p-${modelName}, attempt: 1\n\nAdd two numbers.`,
    tools: { write_file: tool({ description: 'write a file', inputSchema: z.object({ path: z.string(), content: z.string() }) }) },
    maxRetries: options.maxRetries ?? 2,
  });
}

describe.each(PROVIDERS)('the $kind provider', ({ kind, settings, protocol, keyHeader, keyValue }) => {
  const model = `model-${kind}`;

  test('a tool call and the usage come back, and the key is the real one, added by the gateway', async () => {
    script({
      match: { model, protocol },
      turns: [{ content: 'Writing it.', toolCalls: [{ name: 'write_file', arguments: { path: 'src/add.js', content: 'export const add = (a, b) => a + b;\n' } }], usage: { inputTokens: 1_234, outputTokens: 56 } }],
    });
    const result = await call(settings, model);
    expect(result.toolCalls).toEqual([expect.objectContaining({ toolName: 'write_file', input: { path: 'src/add.js', content: 'export const add = (a, b) => a + b;\n' } })]);
    expect(result.usage).toMatchObject({ inputTokens: 1_234, outputTokens: 56 });
    const request = server.requests.filter((recorded) => recorded.model === model).at(-1)!;
    expect(request.protocol).toBe(protocol);
    if (keyValue) expect(request.headers[keyHeader]).toBe(keyValue);
    else expect(request.headers.authorization).toBeUndefined();
    expect(JSON.stringify(request.headers)).not.toContain(KEY_PLACEHOLDER);
  });

  test('a 429 with retry-after is waited out and retried', async () => {
    const rateLimited = `${model}-429`;
    script({ match: { model: rateLimited }, turns: [{ content: 'done', failFirst: { times: 1, httpStatus: 429, retryAfterSeconds: 1 } }] });
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
    await expect(call(settings, slow, { timeoutMs: 500, maxRetries: 0 })).rejects.toThrow(/model-.*-slow did not answer within 0.5 s/);
  });

  test('an answer that is not JSON fails clearly', async () => {
    const broken = `${model}-malformed`;
    script({ match: { model: broken }, turns: [{ content: 'x', malformed: true }] });
    await expect(call(settings, broken, { maxRetries: 0 })).rejects.toThrow(/JSON|parse|Invalid/i);
  });
});

describe('the gateway', () => {
  const input = (url: string, provider: ProviderSettings): ModelCallInput => ({
    modelId: 'm',
    providerId: 'openai',
    provider,
    taskQueue: 'unused-here',
    prices: FREE,
    timeoutMs: 5_000,
    request: { url, method: 'POST', headers: { authorization: `Bearer ${KEY_PLACEHOLDER}`, 'content-type': 'application/json' }, body: '{}' },
    meta: { purpose: 'agent' },
  });

  test('sends a key only to its provider’s own base URL', async () => {
    const provider: ProviderSettings = { kind: 'openai', baseUrl: `${server.origin}/openai/v1`, apiKeyEnv: 'OPENAI_TEST_KEY' };
    await expect(forwardModelCall(input('http://evil.example/v1/chat/completions', provider), KEYS, new AbortController().signal)).rejects.toThrow(/not under openai's base URL/);
    await expect(forwardModelCall(input(`${server.origin}/openai/v1-evil/chat`, provider), KEYS, new AbortController().signal)).rejects.toThrow(/not under/);
  });

  test('a provider whose key is missing where the gateway runs is refused, naming the variable', async () => {
    const provider: ProviderSettings = { kind: 'anthropic', baseUrl: `${server.origin}/anthropic/v1`, apiKeyEnv: 'ANTHROPIC_MISSING_KEY' };
    await expect(forwardModelCall(input(`${server.origin}/anthropic/v1/messages`, provider), KEYS, new AbortController().signal)).rejects.toThrow(/ANTHROPIC_MISSING_KEY is not set/);
  });

  test('a failure names the model and the status, with any key in the answer scrubbed', async () => {
    script({ match: { model: 'leaky' }, turns: [{ httpStatus: 500, content: 'x' }] });
    const provider: ProviderSettings = { kind: 'openai', baseUrl: `${server.origin}/openai/v1`, apiKeyEnv: 'OPENAI_TEST_KEY' };
    const request = input(`${server.origin}/openai/v1/chat/completions`, provider);
    request.request.body = JSON.stringify({ model: 'leaky', messages: [{ role: 'user', content: `hi ${KEYS.OPENAI_TEST_KEY}` }] });
    const result = await forwardModelCall(request, KEYS, new AbortController().signal);
    expect(result).toMatchObject({ outcome: 'error', response: { status: 500 } });
    expect(result.error).toMatch(/^m answered 500/);
    expect(result.error).not.toContain(KEYS.OPENAI_TEST_KEY);
  });
});
