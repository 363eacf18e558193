import { describe, expect, test } from 'vitest';
import { ConfigError, DEFAULT_WORKER_PROCESSES, resolveConfig } from './config.js';

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('resolveConfig', () => {
  test('gives the embedded defaults when nothing is set', () => {
    const { config, warnings } = resolveConfig({ env: {} });
    expect(config.temporal.address).toBeUndefined();
    expect(config.temporal).toMatchObject({ namespace: 'maestro', host: '127.0.0.1', port: 7233, uiPort: 8233, ui: true });
    expect(config.database.url).toBeUndefined();
    expect(config.database.port).toBe(55432);
    expect(config.api).toEqual({ host: '127.0.0.1', port: 4800, auth: 'auto' });
    expect(config.workers.processes).toEqual(DEFAULT_WORKER_PROCESSES);
    expect(config.workers.queues.runner.maxConcurrentActivities).toBe(2);
    expect(config.workers.queues.workflows.maxConcurrentWorkflowTasks).toBe(40);
    expect(warnings).toEqual([]);
  });

  test('environment variables win over the file', () => {
    const { config } = resolveConfig({
      env: { MAESTRO_API_PORT: '5000', TEMPORAL_ADDRESS: 'temporal.internal:7233', MAESTRO_WORKER_PROCESSES: 'workflows;orchestrator,tester,developer,runner,council,models' },
      file: { name: 'maestro.config.json', content: { api: { port: 4000, host: '0.0.0.0' }, workers: { queues: { runner: { maxConcurrentActivities: 1 } } } } },
    });
    expect(config.api).toEqual({ host: '0.0.0.0', port: 5000, auth: 'auto' });
    expect(config.temporal.address).toBe('temporal.internal:7233');
    expect(config.workers.processes).toEqual([['workflows'], ['orchestrator', 'tester', 'developer', 'runner', 'council', 'models']]);
    expect(config.workers.queues.runner.maxConcurrentActivities).toBe(1);
    expect(config.workers.queues.tester.maxConcurrentActivities).toBe(4);
  });

  test('an unknown key in the file is an error naming the key', () => {
    const problems = problemsOf(() =>
      resolveConfig({ env: {}, file: { name: 'maestro.config.json', content: { api: { prot: 4000 }, tempral: {} } } }),
    );
    expect(problems).toContainEqual(expect.stringMatching(/^maestro\.config\.json: unknown key "tempral"/));
    expect(problems).toContainEqual(expect.stringMatching(/^maestro\.config\.json: unknown key "api\.prot"/));
  });

  test('an invalid value from the environment names the variable and the reason', () => {
    const problems = problemsOf(() => resolveConfig({ env: { MAESTRO_API_PORT: 'eighty' } }));
    expect(problems).toEqual([expect.stringMatching(/^MAESTRO_API_PORT \(api\.port\): expected a whole port number/)]);
  });

  test('sign-in can be required on a local bind too, and a wrong mode says the choices', () => {
    expect(resolveConfig({ env: { MAESTRO_AUTH: 'required' } }).config.api.auth).toBe('required');
    expect(resolveConfig({ env: {}, file: { name: 'maestro.config.json', content: { api: { auth: 'required' } } } }).config.api.auth).toBe('required');
    expect(problemsOf(() => resolveConfig({ env: { MAESTRO_AUTH: 'off' } }))).toEqual(['MAESTRO_AUTH (api.auth): auth is one of auto, required']);
    expect(resolveConfig({ env: { MAESTRO_STACK_TOKEN: 'x' } }).warnings).toEqual([]);
  });

  test('an invalid value from the file names the file and the key', () => {
    const problems = problemsOf(() => resolveConfig({ env: {}, file: { name: 'maestro.config.json', content: { database: { port: 70000 } } } }));
    expect(problems).toEqual(['maestro.config.json: database.port: ports end at 65535']);
  });

  test('a queue no process hosts is refused with what to add', () => {
    const problems = problemsOf(() => resolveConfig({ env: { MAESTRO_WORKER_PROCESSES: 'workflows,orchestrator;tester' } }));
    expect(problems).toEqual([expect.stringContaining('add developer, runner, council, models to a group')]);
  });

  test('an unknown queue name is refused', () => {
    const problems = problemsOf(() => resolveConfig({ env: { MAESTRO_WORKER_PROCESSES: 'workflows,orchestrator,testers' } }));
    expect(problems.join('\n')).toMatch(/MAESTRO_WORKER_PROCESSES \(workers\.processes\.0\.2\)/);
  });

  test('two services on one port are refused', () => {
    const problems = problemsOf(() => resolveConfig({ env: { MAESTRO_API_PORT: '7233' } }));
    expect(problems).toEqual([expect.stringContaining('port 7233 is also used by api.port')]);
  });

  test('ports of services Maestro does not start may repeat', () => {
    const { config } = resolveConfig({ env: { MAESTRO_API_PORT: '7233', TEMPORAL_ADDRESS: 'remote:7233' } });
    expect(config.api.port).toBe(7233);
  });

  test('a malformed DATABASE_URL is refused with an example', () => {
    const problems = problemsOf(() => resolveConfig({ env: { DATABASE_URL: 'mysql://x' } }));
    expect(problems).toEqual([expect.stringMatching(/^DATABASE_URL \(database\.url\): expected a postgresql:\/\/ URL/)]);
  });

  test('an unknown MAESTRO_ variable is a warning, not an error', () => {
    const { warnings } = resolveConfig({ env: { MAESTRO_API_PRT: '1' } });
    expect(warnings).toEqual([expect.stringMatching(/^MAESTRO_API_PRT is not a Maestro setting/)]);
  });

  test('the file must hold an object', () => {
    expect(problemsOf(() => resolveConfig({ env: {}, file: { name: 'maestro.config.json', content: [1, 2] } }))).toEqual([
      'maestro.config.json: expected a JSON object at the top level',
    ]);
  });
});

describe('models and budgets', () => {
  test('the registry, providers and routing have defaults for current models', () => {
    const { config } = resolveConfig({ env: {} });
    expect(config.models.registry['gpt-4o-mini']).toMatchObject({ provider: 'openai', inputPerMillion: 0.15, outputPerMillion: 0.6, toolCalling: true });
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
              'qwen2.5-coder': { provider: 'ollama', contextWindow: 32_768, inputPerMillion: 0, outputPerMillion: 0, toolCalling: false, maxConcurrent: 1 },
            },
            routing: { tactical: { cheap: ['qwen2.5-coder', 'gpt-4o-mini'] } },
          },
          budgets: { softUsd: 5, hardUsd: 10, emergencyUsd: 20 },
        },
      },
    });
    expect(config.models.registry['gpt-4o-mini']).toMatchObject({ inputPerMillion: 0.1, outputPerMillion: 0.6 });
    expect(config.models.registry['qwen2.5-coder']).toMatchObject({ provider: 'ollama', toolCalling: false });
    expect(config.models.routing.tactical).toEqual({ cheap: ['qwen2.5-coder', 'gpt-4o-mini'], strong: config.models.routing.strategic });
    expect(config.budgets.hardUsd).toBe(10);
  });

  test('a new model without its fields, an unknown provider or model, and budgets out of order are each named', () => {
    const problems = problemsOf(() =>
      resolveConfig({
        env: { MAESTRO_BUDGET_HARD_USD: '200' },
        file: {
          name: 'maestro.config.json',
          content: { models: { registry: { mystery: { provider: 'openai' }, stray: { provider: 'nowhere', contextWindow: 8192, inputPerMillion: 1, outputPerMillion: 1, toolCalling: true, maxConcurrent: 1 } }, routing: { strategic: ['gpt-9'] } } },
        },
      }),
    );
    expect(problems).toContainEqual(expect.stringMatching(/models\.registry\.mystery\.contextWindow: .*a new model needs provider/));
    expect(problems).toContainEqual(expect.stringMatching(/models\.registry\.stray\.provider: unknown provider nowhere/));
    expect(problems).toContainEqual(expect.stringMatching(/models\.routing\.strategic: gpt-9 is not in the model registry/));
    expect(problems).toContainEqual(expect.stringMatching(/budgets: the tiers must rise: soft 20 ≤ hard 200 ≤ emergency 100/));
  });

  test('an endpoint without its URL, a prompt budget over the window, and absurd amounts are refused', () => {
    const amounts = problemsOf(() =>
      resolveConfig({ env: { MAESTRO_BUDGET_EMERGENCY_USD: '2000000' }, file: { name: 'maestro.config.json', content: { models: { registry: { 'gpt-4o-mini': { inputPerMillion: -1 } } } } } }),
    );
    expect(amounts).toContainEqual(expect.stringMatching(/models\.registry\.gpt-4o-mini\.inputPerMillion: a price cannot be negative/));
    expect(amounts).toContainEqual(expect.stringMatching(/MAESTRO_BUDGET_EMERGENCY_USD \(budgets\.emergencyUsd\): at most \$1,000,000/));
    const shapes = problemsOf(() =>
      resolveConfig({
        env: {},
        file: { name: 'maestro.config.json', content: { models: { providers: { local: { kind: 'openai-compatible' } }, registry: { 'gpt-4o-mini': { promptBudgetTokens: 200_000 } } } } },
      }),
    );
    expect(shapes).toContainEqual(expect.stringMatching(/models\.providers\.local\.baseUrl: an openai-compatible provider needs its baseUrl/));
    expect(shapes).toContainEqual(expect.stringMatching(/models\.registry\.gpt-4o-mini\.promptBudgetTokens: promptBudgetTokens must fit the contextWindow/));
  });

  test('the shorthand endpoint is priced at zero unless the file says, and the warning says so', () => {
    const { config, warnings } = resolveConfig({ env: { MAESTRO_MODEL_BASE_URL: 'http://127.0.0.1:11434/v1' } });
    expect(config.models.registry['gpt-4o-mini']).toMatchObject({ provider: 'custom', inputPerMillion: 0, outputPerMillion: 0 });
    expect(warnings).toEqual([expect.stringMatching(/^gpt-4o-mini at http:\/\/127\.0\.0\.1:11434\/v1 has no prices: its calls are recorded at \$0/)]);
    const priced = resolveConfig({ env: { MAESTRO_MODEL_BASE_URL: 'https://openrouter.ai/api/v1' }, file: { name: 'maestro.config.json', content: { models: { registry: { 'gpt-4o-mini': { inputPerMillion: 0.15, outputPerMillion: 0.6 } } } } } });
    expect(priced.config.models.registry['gpt-4o-mini']).toMatchObject({ provider: 'custom', inputPerMillion: 0.15 });
    expect(priced.warnings).toEqual([]);
  });

  test('the shorthand endpoint makes one model do everything', () => {
    const { config } = resolveConfig({ env: { MAESTRO_MODEL_BASE_URL: 'http://127.0.0.1:11434/v1', MAESTRO_MODEL: 'llama3.1' } });
    expect(config.models.providers.custom).toEqual({ kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:11434/v1' });
    expect(config.models.registry['llama3.1']).toMatchObject({ provider: 'custom', inputPerMillion: 0, toolCalling: true });
    expect(config.models.routing).toMatchObject({ strategic: ['llama3.1'], tactical: { cheap: ['llama3.1'], strong: ['llama3.1'] }, strongest: ['llama3.1'] });
    expect(problemsOf(() => resolveConfig({ env: { MAESTRO_MODEL: 'gpt-9' } }))).toEqual([expect.stringMatching(/MAESTRO_MODEL \(models\.model\): gpt-9 is not in the model registry/)]);
  });
});
