import { describe, expect, test } from 'vitest';
import { resolveConfig } from '../domain/config-resolve.js';
import { chooseModelSource, demoModelEnv } from './model-source.js';

const models = (content: Record<string, unknown> = {}) =>
  resolveConfig({ env: {}, file: { name: 'maestro.config.json', content } }).config.models;

describe('the models the stack runs with', () => {
  test('without any provider key the scripted model of the offline demo plays the agents', () => {
    expect(chooseModelSource(models(), {})).toEqual({ demo: true });
    expect(chooseModelSource(models(), { OPENAI_API_KEY: '  ' })).toEqual({ demo: true });
    expect(demoModelEnv('http://127.0.0.1:5555/v1')).toEqual({
      MAESTRO_MODEL_BASE_URL: 'http://127.0.0.1:5555/v1',
      MAESTRO_MODEL: 'scripted-demo',
      MAESTRO_MODEL_DEMO: 'true',
    });
  });

  test('one key is enough for the configured models; the providers without theirs are left out', () => {
    const source = chooseModelSource(models(), { OPENAI_API_KEY: 'sk-test' });
    expect(source).toEqual({
      demo: false,
      leftOut: [
        expect.objectContaining({ provider: 'anthropic', missing: 'set ANTHROPIC_API_KEY' }),
        expect.objectContaining({ provider: 'google', missing: 'set GEMINI_API_KEY' }),
        expect.objectContaining({ provider: 'deepseek', missing: 'set DEEPSEEK_API_KEY' }),
      ],
      unreachable: [],
    });
  });

  test('a routing list none of whose models can be called here is named', () => {
    const source = chooseModelSource(
      models({
        models: { routing: { strategic: ['claude-sonnet-4-5'], strongest: ['claude-opus-4-1', 'gemini-2.5-pro'] } },
      }),
      { OPENAI_API_KEY: 'sk-test' },
    );
    expect(source).toMatchObject({
      demo: false,
      unreachable: [
        ['strategic', ['claude-sonnet-4-5']],
        ['strongest', ['claude-opus-4-1', 'gemini-2.5-pro']],
      ],
    });
  });

  test('a keyless endpoint of its own is a configured model, not the demo', () => {
    const source = chooseModelSource(
      models({ models: { baseUrl: 'http://127.0.0.1:11434/v1', model: 'llama3.1' } }),
      {},
    );
    expect(source).toMatchObject({ demo: false, unreachable: [] });
  });
});
