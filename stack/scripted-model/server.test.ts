import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { afterAll, describe, expect, test, vi } from 'vitest';
import { runAgentLoop, type AgentRunOptions, type AgentStep } from '../../activities/agents/run-agent.js';
import { createAgentTools } from '../../activities/agents/tools.js';
import { startScriptedModelServer } from './server.js';

const TASK = (attempt: number) =>
  `Maestro agent — role: developer, phase: green, subtask: 9-9, attempt: ${attempt}\n\n# Subtask 9-9: Test`;

const server = await startScriptedModelServer({
  script: {
    name: 'unit',
    conversations: [
      {
        match: { key: '9-9', phase: 'green', attempt: 1 },
        turns: [
          { toolCalls: [{ name: 'read_file', arguments: { path: 'src/a.js' } }] },
          { toolCalls: [{ name: 'write_file', arguments: { path: 'test/sneaky.test.js', content: 'x' } }] },
          { toolCalls: [{ name: 'write_file', arguments: { path: 'src/a.js', content: 'export const a = 2;\n' } }] },
          { toolCalls: [{ name: 'finish', arguments: { summary: 'changed a' } }] },
        ],
      },
      { match: { key: '9-9', phase: 'green', attempt: 2 }, turns: [{ httpStatus: 500 }] },
      { match: { key: '9-9', phase: 'green', attempt: 3 }, turns: [{ content: 'I am done, I think.' }] },
    ],
  },
});
afterAll(() => server.close());

function worktree(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'maestro-agent-'));
  mkdirSync(path.join(root, 'src'));
  writeFileSync(path.join(root, 'src', 'a.js'), 'export const a = 1;\n');
  return root;
}

type HttpCallTiming = NonNullable<ReturnType<AgentRunOptions['takeTiming']>>;

/** The real AI SDK client on the scripted server, each HTTP call timed for the agent loop. */
function scriptedModel() {
  const timings: HttpCallTiming[] = [];
  const timedFetch: typeof fetch = async (input, init) => {
    const startedAt = new Date();
    const response = await fetch(input, init);
    timings.push({ startedAt, latencyMs: Date.now() - startedAt.getTime(), status: response.status });
    return response;
  };
  const provider = createOpenAICompatible({
    name: 'scripted',
    baseURL: server.baseUrl,
    apiKey: 'not-a-real-key',
    fetch: timedFetch,
    includeUsage: true,
  });
  return { model: provider.chatModel('scripted'), takeTiming: () => timings.splice(0).at(-1) };
}

function agent(root: string, attempt: number, steps: AgentStep[] = []) {
  const { model, takeTiming } = scriptedModel();
  return runAgentLoop({
    model,
    takeTiming,
    system: 'You are a test.',
    task: TASK(attempt),
    tools: createAgentTools({
      worktree: root,
      role: 'developer',
      territory: ['src/**'],
      runTests: async () => 'all pass',
    }),
    maxSteps: 10,
    promptBudgetTokens: 100_000,
    signal: new AbortController().signal,
    onStep: async (step) => {
      steps.push(step);
    },
  });
}

describe('the scripted model server and the agent loop', () => {
  test('the real client runs a tool-calling conversation to finish, and each model call is measured', async () => {
    const root = worktree();
    const steps: AgentStep[] = [];
    const outcome = await agent(root, 1, steps);
    expect(outcome).toMatchObject({ finished: true, finish: { summary: 'changed a' }, steps: 4 });
    expect(readFileSync(path.join(root, 'src', 'a.js'), 'utf8')).toBe('export const a = 2;\n');
    expect(steps).toHaveLength(4);
    expect(steps.every((step) => step.inputTokens > 0 && step.outputTokens > 0 && step.latencyMs >= 0)).toBe(true);
    expect(steps.map((step) => step.toolCalls[0])).toEqual(['read_file', 'write_file', 'write_file', 'finish']);

    const requests = server.requests.filter((request) => request.key === '9-9' && request.attempt === 1);
    expect(requests.map((request) => request.turn)).toEqual([0, 1, 2, 3]);
    // The agent saw the file it read and the refusal of the write outside its territory.
    const lastMessages = JSON.stringify(requests.at(-1)!.messages);
    expect(lastMessages).toContain('export const a = 1;');
    expect(lastMessages).toContain("refused: test/sneaky.test.js is outside the developer's territory");
  });

  test('a server error fails the run after the client retried', async () => {
    await expect(agent(worktree(), 2)).rejects.toThrow(/scripted 500/);
    expect(server.requests.filter((request) => request.attempt === 2).length).toBe(3);
  });

  test('a model that stops without calling finish did not finish', async () => {
    expect(await agent(worktree(), 3)).toMatchObject({ finished: false, text: 'I am done, I think.' });
  });

  test('malformed requests are answered like the real API answers them', async () => {
    const bad = await fetch(`${server.baseUrl}/chat/completions`, {
      method: 'POST',
      body: '{not json',
      headers: { 'content-type': 'application/json' },
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
    const unknown = await fetch(`${server.baseUrl}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'x', messages: [{ role: 'user', content: 'hello' }] }),
    });
    expect(unknown.status).toBe(500);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toMatch(/has no answer/);
  });
});

const wire = await startScriptedModelServer({
  script: {
    name: 'wire',
    conversations: [
      {
        match: { key: 'two-turns' },
        turns: [{ toolCalls: [{ name: 'read_file', arguments: { path: 'src/a.js' } }] }, { content: 'Done.' }],
      },
      {
        match: { key: 'usage' },
        turns: [{ content: 'ok', usage: { inputTokens: 1000, outputTokens: 50, cachedInputTokens: 800 } }],
      },
      { match: { key: 'no-usage' }, turns: [{ content: 'ok', omitUsage: true }] },
      { match: { key: 'malformed' }, turns: [{ content: 'ok', malformed: true }] },
      {
        match: { key: 'rate-limited' },
        turns: [{ content: 'after the wait', failFirst: { times: 1, httpStatus: 429, retryAfterSeconds: 2 } }],
      },
      { match: { key: 'unavailable' }, turns: [{ httpStatus: 503 }] },
      { match: { key: 'by-model', model: 'big' }, turns: [{ content: 'big answers' }] },
      { match: { key: 'by-model', model: 'tuned/big' }, turns: [{ content: 'tuned big answers' }] },
      { match: { key: 'by-model' }, turns: [{ content: 'another model answers' }] },
      { match: { key: 'by-protocol', protocol: 'anthropic' }, turns: [{ content: 'anthropic answers' }] },
      { match: { key: 'by-protocol' }, turns: [{ content: 'another protocol answers' }] },
      { match: { key: 'plain' }, turns: [{ content: 'ok' }] },
      { match: { key: 'slow' }, turns: [{ content: 'late', delayMs: 300 }] },
    ],
  },
});
afterAll(() => wire.close());

const wireTask = (key: string) =>
  `Maestro agent — role: developer, phase: green, subtask: ${key}, attempt: 1\n\n# Subtask ${key}`;

const openaiUrl = () => `${wire.origin}/openai/v1/chat/completions`;
const anthropicUrl = () => `${wire.origin}/anthropic/v1/messages`;
const googleUrl = (model = 'gemini-test') =>
  `${wire.origin}/google/v1beta/models/${encodeURIComponent(model)}:generateContent`;

const openaiBody = (key: string, history: unknown[] = []) => ({
  model: 'gpt-test',
  messages: [{ role: 'system', content: 'You are a test.' }, { role: 'user', content: wireTask(key) }, ...history],
});
const anthropicBody = (key: string, history: unknown[] = []) => ({
  model: 'claude-test',
  max_tokens: 1024,
  system: [{ type: 'text', text: 'You are a test.' }],
  messages: [{ role: 'user', content: [{ type: 'text', text: wireTask(key) }] }, ...history],
});
const googleBody = (key: string, history: unknown[] = []) => ({
  systemInstruction: { parts: [{ text: 'You are a test.' }] },
  contents: [{ role: 'user', parts: [{ text: wireTask(key) }] }, ...history],
});

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) as unknown };
}

const recordedFor = (key: string) => wire.requests.filter((request) => request.key === key);

describe('the three protocols on the wire', () => {
  test('OpenAI chat completions: a tool call, then a text answer at the second turn, under any prefix', async () => {
    const first = await post(openaiUrl(), openaiBody('two-turns'));
    expect(first.status).toBe(200);
    expect(first.json()).toMatchObject({
      object: 'chat.completion',
      model: 'gpt-test',
      choices: [
        {
          message: {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: expect.stringMatching(/^call_/),
                type: 'function',
                function: { name: 'read_file', arguments: '{"path":"src/a.js"}' },
              },
            ],
          },
          finish_reason: 'tool_calls',
        },
      ],
      usage: {
        prompt_tokens: expect.any(Number),
        completion_tokens: expect.any(Number),
        total_tokens: expect.any(Number),
      },
    });
    const history = [
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'read_file', arguments: '{"path":"src/a.js"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'export const a = 1;' },
    ];
    const second = await post(`${wire.origin}/deepseek/chat/completions`, openaiBody('two-turns', history));
    expect(second.json()).toMatchObject({
      choices: [{ message: { role: 'assistant', content: 'Done.' }, finish_reason: 'stop' }],
    });
    expect(recordedFor('two-turns').map(({ protocol, turn }) => [protocol, turn])).toEqual([
      ['openai', 0],
      ['openai', 1],
    ]);
  });

  test('Anthropic messages: a tool_use block, then a text block at the second turn', async () => {
    const first = await post(anthropicUrl(), anthropicBody('two-turns'));
    expect(first.status).toBe(200);
    expect(first.json()).toMatchObject({
      id: expect.stringMatching(/^msg_/),
      type: 'message',
      role: 'assistant',
      model: 'claude-test',
      content: [
        { type: 'tool_use', id: expect.stringMatching(/^toolu_/), name: 'read_file', input: { path: 'src/a.js' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: expect.any(Number), output_tokens: expect.any(Number) },
    });
    expect((first.json() as { content: unknown[] }).content).toHaveLength(1);
    const history = [
      {
        role: 'assistant',
        content: [{ type: 'tool_use', id: 'toolu_1', name: 'read_file', input: { path: 'src/a.js' } }],
      },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'export const a = 1;' }] },
    ];
    const second = await post(anthropicUrl(), anthropicBody('two-turns', history));
    expect(second.json()).toMatchObject({ content: [{ type: 'text', text: 'Done.' }], stop_reason: 'end_turn' });
    expect(
      recordedFor('two-turns')
        .filter((request) => request.protocol === 'anthropic')
        .map((request) => request.turn),
    ).toEqual([0, 1]);
  });

  test('Gemini generateContent: a functionCall part, then a text part at the second turn, the model from the path', async () => {
    const first = await post(googleUrl('gemini-2.5-flash'), googleBody('two-turns'));
    expect(first.status).toBe(200);
    expect(first.json()).toMatchObject({
      candidates: [
        {
          content: { role: 'model', parts: [{ functionCall: { name: 'read_file', args: { path: 'src/a.js' } } }] },
          finishReason: 'STOP',
          index: 0,
        },
      ],
      usageMetadata: {
        promptTokenCount: expect.any(Number),
        candidatesTokenCount: expect.any(Number),
        totalTokenCount: expect.any(Number),
      },
      modelVersion: 'gemini-2.5-flash',
    });
    const history = [
      { role: 'model', parts: [{ functionCall: { name: 'read_file', args: { path: 'src/a.js' } } }] },
      {
        role: 'user',
        parts: [{ functionResponse: { name: 'read_file', response: { content: 'export const a = 1;' } } }],
      },
    ];
    const second = await post(googleUrl('gemini-2.5-flash'), googleBody('two-turns', history));
    expect(second.json()).toMatchObject({
      candidates: [{ content: { role: 'model', parts: [{ text: 'Done.' }] }, finishReason: 'STOP' }],
    });
    const recorded = recordedFor('two-turns').filter((request) => request.protocol === 'google');
    expect(recorded.map(({ model, turn }) => [model, turn])).toEqual([
      ['gemini-2.5-flash', 0],
      ['gemini-2.5-flash', 1],
    ]);
  });

  test('a scripted usage is reported exactly, in each protocol’s terms', async () => {
    expect((await post(openaiUrl(), openaiBody('usage'))).json()).toMatchObject({
      usage: {
        prompt_tokens: 1000,
        completion_tokens: 50,
        total_tokens: 1050,
        prompt_tokens_details: { cached_tokens: 800 },
        prompt_cache_hit_tokens: 800,
      },
    });
    // Anthropic's input_tokens leave out the cache reads.
    expect((await post(anthropicUrl(), anthropicBody('usage'))).json()).toMatchObject({
      usage: { input_tokens: 200, output_tokens: 50, cache_read_input_tokens: 800 },
    });
    expect((await post(googleUrl(), googleBody('usage'))).json()).toMatchObject({
      usageMetadata: {
        promptTokenCount: 1000,
        candidatesTokenCount: 50,
        totalTokenCount: 1050,
        cachedContentTokenCount: 800,
      },
    });
    expect(recordedFor('usage').map((request) => request.usage)).toEqual(
      Array(3).fill({ inputTokens: 1000, outputTokens: 50, cachedInputTokens: 800 }),
    );
  });

  test('omitUsage answers without any usage field', async () => {
    expect((await post(openaiUrl(), openaiBody('no-usage'))).json()).not.toHaveProperty('usage');
    expect((await post(anthropicUrl(), anthropicBody('no-usage'))).json()).not.toHaveProperty('usage');
    expect((await post(googleUrl(), googleBody('no-usage'))).json()).not.toHaveProperty('usageMetadata');
    expect(recordedFor('no-usage').map((request) => request.usage)).toEqual([undefined, undefined, undefined]);
  });

  test('malformed answers 200 with a JSON content type and a body that does not parse', async () => {
    for (const answer of [
      await post(openaiUrl(), openaiBody('malformed')),
      await post(anthropicUrl(), anthropicBody('malformed')),
      await post(googleUrl(), googleBody('malformed')),
    ]) {
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toBe('application/json');
      expect(answer.text.length).toBeGreaterThan(0);
      expect(() => JSON.parse(answer.text)).toThrow();
    }
  });

  test('failFirst: a 429 with retry-after, then the answer to the retried request', async () => {
    const limited = await post(anthropicUrl(), anthropicBody('rate-limited'));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(limited.json()).toEqual({ type: 'error', error: { type: 'rate_limit_error', message: 'scripted 429' } });
    const retried = await post(anthropicUrl(), anthropicBody('rate-limited'));
    expect(retried.status).toBe(200);
    expect(retried.json()).toMatchObject({ content: [{ type: 'text', text: 'after the wait' }] });
    expect(recordedFor('rate-limited').map((request) => request.status)).toEqual([429, 200]);
  });

  test('an httpStatus fails every request at the turn, in the protocol’s error shape', async () => {
    for (let i = 0; i < 2; i++) {
      const failed = await post(googleUrl(), googleBody('unavailable'));
      expect(failed.status).toBe(503);
      expect(failed.json()).toEqual({ error: { code: 503, message: 'scripted 503', status: 'INTERNAL' } });
    }
  });

  test('conversations match by model (Gemini’s, URL-encoded in the path, too) and by protocol', async () => {
    expect((await post(openaiUrl(), { ...openaiBody('by-model'), model: 'big' })).text).toContain('big answers');
    expect((await post(openaiUrl(), { ...openaiBody('by-model'), model: 'small' })).text).toContain(
      'another model answers',
    );
    expect((await post(googleUrl('tuned/big'), googleBody('by-model'))).text).toContain('tuned big answers');
    expect(recordedFor('by-model').map((request) => request.model)).toEqual(['big', 'small', 'tuned/big']);

    expect((await post(anthropicUrl(), anthropicBody('by-protocol'))).text).toContain('anthropic answers');
    expect((await post(openaiUrl(), openaiBody('by-protocol'))).text).toContain('another protocol answers');
    expect((await post(googleUrl(), googleBody('by-protocol'))).text).toContain('another protocol answers');
  });

  test('each request is recorded with its protocol, model, headers, status and time of answer', async () => {
    await post(openaiUrl(), openaiBody('plain'), { authorization: 'Bearer sk-openai' });
    await post(anthropicUrl(), anthropicBody('plain'), { 'x-api-key': 'sk-ant', 'anthropic-version': '2023-06-01' });
    await post(googleUrl(), googleBody('plain'), { 'x-goog-api-key': 'goog-key' });
    const [openai, anthropic, google] = recordedFor('plain');
    expect(openai).toMatchObject({
      protocol: 'openai',
      model: 'gpt-test',
      status: 200,
      headers: { authorization: 'Bearer sk-openai' },
      task: wireTask('plain'),
    });
    expect(anthropic).toMatchObject({
      protocol: 'anthropic',
      model: 'claude-test',
      status: 200,
      headers: { 'x-api-key': 'sk-ant', 'anthropic-version': '2023-06-01' },
    });
    expect(google).toMatchObject({
      protocol: 'google',
      model: 'gemini-test',
      status: 200,
      headers: { 'x-goog-api-key': 'goog-key', 'content-type': 'application/json' },
    });
    for (const request of [openai!, anthropic!, google!])
      expect(Date.parse(request.answeredAt!)).toBeGreaterThanOrEqual(Date.parse(request.at));
  });

  test('maxInFlight counts concurrent requests per model and overall', async () => {
    wire.resetStats();
    const slow = (model: string) => post(openaiUrl(), { ...openaiBody('slow'), model });
    await Promise.all([slow('model-a'), slow('model-a')]);
    expect(wire.maxInFlight('model-a')).toBe(2);
    expect(wire.maxInFlight()).toBe(2);

    wire.resetStats();
    expect(wire.maxInFlight('model-a')).toBe(0);
    await Promise.all([slow('model-b'), post(anthropicUrl(), { ...anthropicBody('slow'), model: 'model-c' })]);
    expect([wire.maxInFlight('model-b'), wire.maxInFlight('model-c'), wire.maxInFlight()]).toEqual([1, 1, 2]);
  });

  test('a client that leaves during the delay gets no answer and is no longer in flight', async () => {
    const leaving = new AbortController();
    const pending = fetch(openaiUrl(), {
      method: 'POST',
      body: JSON.stringify({ ...openaiBody('slow'), model: 'model-gone' }),
      signal: leaving.signal,
    });
    await vi.waitFor(() => expect(wire.requests.some((request) => request.model === 'model-gone')).toBe(true));
    leaving.abort();
    await expect(pending).rejects.toThrow();
    await sleep(400);
    const gone = wire.requests.find((request) => request.model === 'model-gone')!;
    expect([gone.status, gone.answeredAt]).toEqual([undefined, undefined]);
    wire.resetStats();
    expect(wire.maxInFlight('model-gone')).toBe(0);
  });

  test('streaming is refused in each protocol’s error shape, and an unknown route is a 404', async () => {
    const openai = await post(openaiUrl(), { ...openaiBody('plain'), stream: true });
    expect([openai.status, openai.json()]).toMatchObject([
      400,
      { error: { type: 'invalid_request_error', message: expect.stringMatching(/does not stream/) } },
    ]);
    const anthropic = await post(anthropicUrl(), { ...anthropicBody('plain'), stream: true });
    expect([anthropic.status, anthropic.json()]).toMatchObject([
      400,
      { type: 'error', error: { type: 'invalid_request_error' } },
    ]);
    const google = await post(
      `${wire.origin}/google/v1beta/models/gemini-test:streamGenerateContent`,
      googleBody('plain'),
    );
    expect([google.status, google.json()]).toMatchObject([400, { error: { code: 400, status: 'INVALID_ARGUMENT' } }]);

    const unknown = await post(`${wire.origin}/v1/completions`, { model: 'x', prompt: 'hello' });
    expect(unknown.status).toBe(404);
    expect(unknown.json()).toMatchObject({ error: { message: 'no route POST /v1/completions' } });
  });
});

describe('gates', () => {
  test('an answer held at a gate waits for it to open; a client that leaves meanwhile is never answered', async () => {
    const gated = await startScriptedModelServer({
      script: {
        name: 'gates',
        conversations: [{ match: { model: 'held' }, turns: [{ content: 'at last', holdUntil: 'g' }] }],
      },
    });
    const ask = (signal?: AbortSignal) =>
      fetch(`${gated.baseUrl}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'held', messages: [{ role: 'user', content: 'hi' }] }),
        signal,
      });
    const leaving = new AbortController();
    const abandoned = ask(leaving.signal).catch(() => 'gone');
    const waiting = ask();
    await vi.waitFor(() => expect(gated.requests).toHaveLength(2));
    leaving.abort();
    expect(await abandoned).toBe('gone');
    await sleep(100);
    expect(gated.requests.every((request) => request.answeredAt === undefined)).toBe(true);
    gated.openGate('g');
    const answer = (await (await waiting).json()) as { choices: Array<{ message: { content: string } }> };
    expect(answer.choices[0]!.message.content).toBe('at last');
    expect(gated.requests.map((request) => Boolean(request.answeredAt))).toEqual([false, true]);
    // Open for good: later requests pass at once.
    expect((await ask()).status).toBe(200);
    await gated.close();
  });
});
