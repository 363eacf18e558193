import { describe, expect, test } from 'vitest';
import { processEnvironment } from './process-environment.js';

const models = {
  providers: { openai: { apiKeyEnv: 'OPENAI_API_KEY' }, corp: { apiKeyEnv: 'CORP_LLM_BEARER' }, local: {} },
  apiKeyEnv: 'LOCAL_LLM_PASS',
};
const supervisorEnv = {
  PATH: '/bin',
  DATABASE_URL: 'postgres://u:p@127.0.0.1/db',
  OPENAI_API_KEY: 'sk-openai',
  CORP_LLM_BEARER: 'corp-key',
  LOCAL_LLM_PASS: '',
  ANTHROPIC_API_KEY: 'not-configured-here',
  MAESTRO_TOKEN: 'cli-token',
};

describe('what each process of the stack is given', () => {
  test('the API: no provider key, only which key variables are set, and the stack token', () => {
    expect(processEnvironment(supervisorEnv, models, { kind: 'api' }, 'stack-token')).toEqual({
      PATH: '/bin',
      DATABASE_URL: 'postgres://u:p@127.0.0.1/db',
      MAESTRO_STACK_TOKEN: 'stack-token',
      MAESTRO_MODEL_KEYS_SET: 'OPENAI_API_KEY,CORP_LLM_BEARER',
    });
  });

  test('a worker that makes no model call: no key, no token', () => {
    expect(
      processEnvironment(supervisorEnv, models, { kind: 'worker', queues: ['runner', 'tester'] }, 'stack-token'),
    ).toEqual({
      PATH: '/bin',
      DATABASE_URL: 'postgres://u:p@127.0.0.1/db',
    });
  });

  test("the models worker: the configured providers' keys only", () => {
    expect(processEnvironment(supervisorEnv, models, { kind: 'worker', queues: ['models'] }, 'stack-token')).toEqual({
      PATH: '/bin',
      DATABASE_URL: 'postgres://u:p@127.0.0.1/db',
      OPENAI_API_KEY: 'sk-openai',
      CORP_LLM_BEARER: 'corp-key',
      LOCAL_LLM_PASS: '',
    });
  });
});
