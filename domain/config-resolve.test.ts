import { describe, expect, test } from 'vitest';
import { DEFAULT_WORKER_PROCESSES, defaultActivitySlots } from './config.js';
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

describe('resolveConfig', () => {
  test('gives the embedded defaults when nothing is set', () => {
    const { config, warnings } = resolveConfig({ env: {} });
    expect(config.temporal.address).toBeUndefined();
    expect(config.temporal).toMatchObject({
      namespace: 'maestro',
      host: '127.0.0.1',
      port: 7233,
      uiPort: 8233,
      ui: true,
    });
    expect(config.database.url).toBeUndefined();
    expect(config.database.port).toBe(55432);
    expect(config.api).toEqual({ host: '127.0.0.1', port: 4800, auth: 'auto' });
    expect(config.demoModel.port).toBe(4810);
    expect(config.workers.processes).toEqual(DEFAULT_WORKER_PROCESSES);
    expect(DEFAULT_WORKER_PROCESSES).toEqual([
      ['workflows', 'models'],
      ['orchestrator', 'tester', 'developer', 'runner', 'council'],
    ]);
    // Unset: the worker sizes it from its machine's cores.
    expect(config.workers.queues.runner.maxConcurrentActivities).toBeUndefined();
    expect(config.workers.queues.workflows.maxConcurrentWorkflowTasks).toBe(40);
    expect(warnings).toEqual([]);
  });

  test('environment variables win over the file', () => {
    const { config } = resolveConfig({
      env: {
        MAESTRO_API_PORT: '5000',
        TEMPORAL_ADDRESS: 'temporal.internal:7233',
        MAESTRO_WORKER_PROCESSES: 'workflows;orchestrator,tester,developer,runner,council,models',
      },
      file: {
        name: 'maestro.config.json',
        content: {
          api: { port: 4000, host: '0.0.0.0' },
          workers: { queues: { runner: { maxConcurrentActivities: 1 } } },
        },
      },
    });
    expect(config.api).toEqual({ host: '0.0.0.0', port: 5000, auth: 'auto' });
    expect(config.temporal.address).toBe('temporal.internal:7233');
    expect(config.workers.processes).toEqual([
      ['workflows'],
      ['orchestrator', 'tester', 'developer', 'runner', 'council', 'models'],
    ]);
    expect(config.workers.queues.runner.maxConcurrentActivities).toBe(1);
    expect(config.workers.queues.tester.maxConcurrentActivities).toBeUndefined();
  });

  test('slots not configured are sized from the cores: one test run per core, agents and the council wait on them', () => {
    expect(defaultActivitySlots(2)).toEqual({ orchestrator: 20, tester: 4, developer: 4, runner: 2, council: 6 });
    expect(defaultActivitySlots(1)).toEqual({ orchestrator: 20, tester: 4, developer: 4, runner: 1, council: 6 });
    expect(defaultActivitySlots(16)).toEqual({ orchestrator: 160, tester: 32, developer: 32, runner: 16, council: 48 });
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
    expect(
      resolveConfig({ env: {}, file: { name: 'maestro.config.json', content: { api: { auth: 'required' } } } }).config
        .api.auth,
    ).toBe('required');
    expect(problemsOf(() => resolveConfig({ env: { MAESTRO_AUTH: 'off' } }))).toEqual([
      'MAESTRO_AUTH (api.auth): auth is one of auto, required',
    ]);
    expect(resolveConfig({ env: { MAESTRO_STACK_TOKEN: 'x' } }).warnings).toEqual([]);
  });

  test('an invalid value from the file names the file and the key', () => {
    const problems = problemsOf(() =>
      resolveConfig({ env: {}, file: { name: 'maestro.config.json', content: { database: { port: 70000 } } } }),
    );
    expect(problems).toEqual(['maestro.config.json: database.port: ports end at 65535']);
  });

  test('a queue no process hosts is refused with what to add', () => {
    const problems = problemsOf(() =>
      resolveConfig({ env: { MAESTRO_WORKER_PROCESSES: 'workflows,orchestrator;tester' } }),
    );
    expect(problems).toEqual([expect.stringContaining('add developer, runner, council, models to a group')]);
  });

  test('an unknown queue name is refused', () => {
    const problems = problemsOf(() =>
      resolveConfig({ env: { MAESTRO_WORKER_PROCESSES: 'workflows,orchestrator,testers' } }),
    );
    expect(problems.join('\n')).toMatch(/MAESTRO_WORKER_PROCESSES \(workers\.processes\.0\.2\)/);
  });

  test('two services on one port are refused', () => {
    const problems = problemsOf(() => resolveConfig({ env: { MAESTRO_API_PORT: '7233' } }));
    expect(problems).toEqual([expect.stringContaining('port 7233 is also used by api.port')]);
  });

  test('the demo model’s port is one of the stack’s: taken by another service it is refused, naming the setting', () => {
    const problems = problemsOf(() => resolveConfig({ env: { MAESTRO_DEMO_MODEL_PORT: '4800' } }));
    expect(problems).toEqual([
      'MAESTRO_DEMO_MODEL_PORT (demoModel.port): port 4800 is also used by api.port; pick another',
    ]);
    const { config } = resolveConfig({ env: { MAESTRO_DEMO_MODEL_PORT: '5000' } });
    expect(config.demoModel.port).toBe(5000);
  });

  test('ports of services Maestro does not start may repeat', () => {
    const { config } = resolveConfig({ env: { MAESTRO_API_PORT: '7233', TEMPORAL_ADDRESS: 'remote:7233' } });
    expect(config.api.port).toBe(7233);
    // With an endpoint of its own there is no demo model.
    const own = resolveConfig({
      env: { MAESTRO_MODEL_BASE_URL: 'http://127.0.0.1:11434/v1', MAESTRO_DEMO_MODEL_PORT: '4800' },
    });
    expect(own.config.demoModel.port).toBe(4800);
  });

  test('a malformed DATABASE_URL is refused with an example', () => {
    const problems = problemsOf(() => resolveConfig({ env: { DATABASE_URL: 'mysql://x' } }));
    expect(problems).toEqual([
      expect.stringMatching(/^DATABASE_URL \(database\.url\): expected a postgresql:\/\/ URL/),
    ]);
  });

  test('an unknown MAESTRO_ variable is a warning, not an error', () => {
    const { warnings } = resolveConfig({ env: { MAESTRO_API_PRT: '1' } });
    expect(warnings).toEqual([expect.stringMatching(/^MAESTRO_API_PRT is not a Maestro setting/)]);
  });

  test('the CLI’s own variables (MAESTRO_API_URL, MAESTRO_TOKEN) are no warning to the server', () => {
    const { warnings } = resolveConfig({
      env: { MAESTRO_API_URL: 'http://127.0.0.1:4800', MAESTRO_TOKEN: 'mst_x', MAESTRO_TOKN: 'mst_x' },
    });
    expect(warnings).toEqual([expect.stringMatching(/^MAESTRO_TOKN is not a Maestro setting/)]);
  });

  test('the file must hold an object', () => {
    expect(
      problemsOf(() => resolveConfig({ env: {}, file: { name: 'maestro.config.json', content: [1, 2] } })),
    ).toEqual(['maestro.config.json: expected a JSON object at the top level']);
  });
});
