import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { runAgentLoop, type AgentStep } from '../../activities/agents/run-agent.js';
import { createAgentTools } from '../../activities/agents/tools.js';
import { createMeteredModel } from '../../activities/models/metered-model.js';
import { startScriptedModelServer } from './server.js';

const TASK = (attempt: number) => `Maestro agent — role: developer, phase: green, subtask: 9-9, attempt: ${attempt}\n\n# Subtask 9-9: Test`;

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

function agent(root: string, attempt: number, steps: AgentStep[] = []) {
  const { model, takeTiming } = createMeteredModel({ provider: 'scripted', baseUrl: server.baseUrl, model: 'scripted', apiKey: 'not-a-real-key' });
  return runAgentLoop({
    model,
    takeTiming,
    system: 'You are a test.',
    task: TASK(attempt),
    tools: createAgentTools({ worktree: root, role: 'developer', territory: ['src/**'], runTests: async () => 'all pass' }),
    maxSteps: 10,
    signal: new AbortController().signal,
    onStep: async (step) => {
      steps.push(step);
    },
  });
}

describe('the scripted model server and the agent loop', () => {
  test('the real client runs a tool-calling conversation to finish, and each model call is metered', async () => {
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
    const bad = await fetch(`${server.baseUrl}/chat/completions`, { method: 'POST', body: '{not json', headers: { 'content-type': 'application/json' } });
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
