import { describe, expect, test } from 'vitest';
import { ConfigError, resolveConfig } from './config-resolve.js';

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('models and budgets', () => {
  test('the registry, providers and routing have defaults for current models', () => {
    const { config } = resolveConfig({ env: {} });
    expect(config.models.registry['gpt-4o-mini']).toMatchObject({
      provider: 'openai',
      inputPerMillion: 0.15,
      outputPerMillion: 0.6,
      toolCalling: true,
    });
    expect(config.models.providers.anthropic).toEqual({ kind: 'anthropic', apiKeyEnv: 'ANTHROPIC_API_KEY' });
    expect(config.models.routing.tactical.cheap[0]).toBe('gpt-4o-mini');
    expect(config.budgets).toEqual({ softUsd: 20, hardUsd: 50, emergencyUsd: 100, councilDailyUsd: 5 });
  });

  test('the file overrides a price and adds models and providers; the rest keeps its defaults', () => {
    const { config } = resolveConfig({
      env: {},
      file: {
        name: 'maestro.config.json',
        content: {
          models: {
            providers: { ollama: { kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:11434/v1' } },
            registry: {
              'gpt-4o-mini': { inputPerMillion: 0.1 },
              'qwen2.5-coder': {
                provider: 'ollama',
                contextWindow: 32_768,
                inputPerMillion: 0,
                outputPerMillion: 0,
                toolCalling: false,
                maxConcurrent: 1,
              },
            },
            routing: { tactical: { cheap: ['qwen2.5-coder', 'gpt-4o-mini'] } },
          },
          budgets: { softUsd: 5, hardUsd: 10, emergencyUsd: 20 },
        },
      },
    });
    expect(config.models.registry['gpt-4o-mini']).toMatchObject({ inputPerMillion: 0.1, outputPerMillion: 0.6 });
    expect(config.models.registry['qwen2.5-coder']).toMatchObject({ provider: 'ollama', toolCalling: false });
    expect(config.models.routing.tactical).toEqual({
      cheap: ['qwen2.5-coder', 'gpt-4o-mini'],
      strong: config.models.routing.strategic,
    });
    expect(config.budgets.hardUsd).toBe(10);
  });

  test('a new model without its fields, an unknown provider or model, and budgets out of order are each named', () => {
    const problems = problemsOf(() =>
      resolveConfig({
        env: { MAESTRO_BUDGET_HARD_USD: '200' },
        file: {
          name: 'maestro.config.json',
          content: {
            models: {
              registry: {
                mystery: { provider: 'openai' },
                stray: {
                  provider: 'nowhere',
                  contextWindow: 8192,
                  inputPerMillion: 1,
                  outputPerMillion: 1,
                  toolCalling: true,
                  maxConcurrent: 1,
                },
              },
              routing: { strategic: ['gpt-9'] },
            },
          },
        },
      }),
    );
    expect(problems).toContainEqual(
      expect.stringMatching(/models\.registry\.mystery\.contextWindow: .*a new model needs provider/),
    );
    expect(problems).toContainEqual(
      expect.stringMatching(/models\.registry\.stray\.provider: unknown provider nowhere/),
    );
    expect(problems).toContainEqual(
      expect.stringMatching(/models\.routing\.strategic: gpt-9 is not in the model registry/),
    );
    expect(problems).toContainEqual(
      expect.stringMatching(/budgets: the tiers must rise: soft 20 ≤ hard 200 ≤ emergency 100/),
    );
  });

  test('an endpoint without its URL, a prompt budget over the window, and absurd amounts are refused', () => {
    const amounts = problemsOf(() =>
      resolveConfig({
        env: { MAESTRO_BUDGET_EMERGENCY_USD: '2000000' },
        file: {
          name: 'maestro.config.json',
          content: { models: { registry: { 'gpt-4o-mini': { inputPerMillion: -1 } } } },
        },
      }),
    );
    expect(amounts).toContainEqual(
      expect.stringMatching(/models\.registry\.gpt-4o-mini\.inputPerMillion: a price cannot be negative/),
    );
    expect(amounts).toContainEqual(
      expect.stringMatching(/MAESTRO_BUDGET_EMERGENCY_USD \(budgets\.emergencyUsd\): at most \$1,000,000/),
    );
    const shapes = problemsOf(() =>
      resolveConfig({
        env: {},
        file: {
          name: 'maestro.config.json',
          content: {
            models: {
              providers: { local: { kind: 'openai-compatible' } },
              registry: { 'gpt-4o-mini': { promptBudgetTokens: 200_000 } },
            },
          },
        },
      }),
    );
    expect(shapes).toContainEqual(
      expect.stringMatching(/models\.providers\.local\.baseUrl: an openai-compatible provider needs its baseUrl/),
    );
    expect(shapes).toContainEqual(
      expect.stringMatching(
        /models\.registry\.gpt-4o-mini\.promptBudgetTokens: promptBudgetTokens must fit the contextWindow/,
      ),
    );
  });

  test('the shorthand endpoint is priced at zero unless the file says, and the warning says so', () => {
    const { config, warnings } = resolveConfig({ env: { MAESTRO_MODEL_BASE_URL: 'http://127.0.0.1:11434/v1' } });
    expect(config.models.registry['gpt-4o-mini']).toMatchObject({
      provider: 'custom',
      inputPerMillion: 0,
      outputPerMillion: 0,
    });
    expect(warnings).toEqual([
      expect.stringMatching(
        /^gpt-4o-mini at http:\/\/127\.0\.0\.1:11434\/v1 has no prices: its calls are recorded at \$0/,
      ),
    ]);
    const priced = resolveConfig({
      env: { MAESTRO_MODEL_BASE_URL: 'https://openrouter.ai/api/v1' },
      file: {
        name: 'maestro.config.json',
        content: { models: { registry: { 'gpt-4o-mini': { inputPerMillion: 0.15, outputPerMillion: 0.6 } } } },
      },
    });
    expect(priced.config.models.registry['gpt-4o-mini']).toMatchObject({ provider: 'custom', inputPerMillion: 0.15 });
    expect(priced.warnings).toEqual([]);
  });

  test('the shorthand endpoint makes one model do everything', () => {
    const { config } = resolveConfig({
      env: { MAESTRO_MODEL_BASE_URL: 'http://127.0.0.1:11434/v1', MAESTRO_MODEL: 'llama3.1' },
    });
    expect(config.models.providers.custom).toEqual({ kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:11434/v1' });
    expect(config.models.registry['llama3.1']).toMatchObject({
      provider: 'custom',
      inputPerMillion: 0,
      toolCalling: true,
    });
    expect(config.models.routing).toMatchObject({
      strategic: ['llama3.1'],
      tactical: { cheap: ['llama3.1'], strong: ['llama3.1'] },
      strongest: ['llama3.1'],
    });
    expect(problemsOf(() => resolveConfig({ env: { MAESTRO_MODEL: 'gpt-9' } }))).toEqual([
      expect.stringMatching(/MAESTRO_MODEL \(models\.model\): gpt-9 is not in the model registry/),
    ]);
  });
});
