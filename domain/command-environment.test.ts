import { describe, expect, test } from 'vitest';
import { commandEnvironment, withoutSecrets } from './command-environment.js';
import { modelKeyEnvNames, secretEnvNames } from './secret-env.js';

const models = {
  providers: {
    openai: { apiKeyEnv: 'OPENAI_API_KEY' },
    corp: { apiKeyEnv: 'MY_CORP_LLM_TOKEN' },
    // A name no pattern would take for a secret: only the configuration says it is one.
    other: { apiKeyEnv: 'CORP_LLM_BEARER' },
    local: {},
  },
  apiKeyEnv: 'LOCAL_LLM_PASS',
};

const workerEnv = {
  PATH: '/usr/bin:/bin',
  HOME: '/home/maestro',
  LANG: 'C.UTF-8',
  OPENAI_API_KEY: 'sk-openai-0123456789abcdef',
  MY_CORP_LLM_TOKEN: 'corp-token-value',
  CORP_LLM_BEARER: 'bearer-value',
  LOCAL_LLM_PASS: 'shorthand-value',
  MISTRAL_API_KEY: 'mistral-value',
  DATABASE_URL: 'postgres://maestro:pw@127.0.0.1:5432/maestro',
  MAESTRO_STACK_TOKEN: 'stack-token',
};

describe('the secret variables Maestro knows of', () => {
  test("every configured provider's key variable, custom names and the shorthand's included", () => {
    expect(modelKeyEnvNames(models).sort()).toEqual(
      ['CORP_LLM_BEARER', 'LOCAL_LLM_PASS', 'MY_CORP_LLM_TOKEN', 'OPENAI_API_KEY'].sort(),
    );
  });

  test("the well-known providers' keys and Maestro's own credentials, configured or not", () => {
    const names = secretEnvNames({ providers: {} });
    for (const name of [
      'OPENAI_API_KEY',
      'ANTHROPIC_API_KEY',
      'GEMINI_API_KEY',
      'DEEPSEEK_API_KEY',
      'MAESTRO_STACK_TOKEN',
      'DATABASE_URL',
    ])
      expect(names).toContain(name);
  });
});

describe("a child's environment", () => {
  test('a project command gets no secret, by whatever name, and keeps what it needs', () => {
    const env = commandEnvironment(workerEnv, secretEnvNames(models));
    expect(env).toEqual({
      PATH: '/usr/bin:/bin',
      HOME: '/home/maestro',
      LANG: 'C.UTF-8',
      CI: '1',
      FORCE_COLOR: '0',
      NO_COLOR: '1',
    });
  });

  test('a custom key whose name looks like nothing is removed only because the configuration names it', () => {
    expect(commandEnvironment(workerEnv)).toHaveProperty('CORP_LLM_BEARER');
    expect(commandEnvironment(workerEnv, ['CORP_LLM_BEARER'])).not.toHaveProperty('CORP_LLM_BEARER');
  });

  test("Maestro's helpers keep its settings but no secret", () => {
    const env = withoutSecrets({ ...workerEnv, MAESTRO_DATA_DIR: '/data' }, secretEnvNames(models));
    expect(env).toEqual({ PATH: '/usr/bin:/bin', HOME: '/home/maestro', LANG: 'C.UTF-8', MAESTRO_DATA_DIR: '/data' });
  });
});
