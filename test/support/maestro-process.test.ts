import { afterEach, describe, expect, test } from 'vitest';
import { stackEnv } from './maestro-process.js';

const PORTS = { temporal: 1, temporalHttp: 2, temporalUi: 3, postgres: 4, api: 5, demoModel: 6 };
const SET = {
  TEMPORAL_CLI_PATH: '/opt/temporal/bin/temporal',
  TEMPORAL_ADDRESS: 'temporal.example.com:7233',
  TEMPORAL_NAMESPACE: 'production',
  TEMPORAL_API_KEY: 'secret',
  DATABASE_URL: 'postgresql://prod.example.com/maestro',
  MAESTRO_COUNCIL: 'false',
  MAESTRO_TOKEN: 'mst_x',
};
const saved = Object.fromEntries(Object.keys(SET).map((name) => [name, process.env[name]]));

afterEach(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe('the environment of a test stack', () => {
  test('takes the caller’s TEMPORAL_CLI_PATH, and none of the settings that point at the caller’s cluster', () => {
    Object.assign(process.env, SET);
    const env = stackEnv('/tmp/maestro-test/data', PORTS);
    expect(env.TEMPORAL_CLI_PATH).toBe('/opt/temporal/bin/temporal');
    for (const name of [
      'TEMPORAL_ADDRESS',
      'TEMPORAL_NAMESPACE',
      'TEMPORAL_API_KEY',
      'DATABASE_URL',
      'MAESTRO_COUNCIL',
      'MAESTRO_TOKEN',
    ])
      expect(env[name], name).toBeUndefined();
    expect(env).toMatchObject({ MAESTRO_DATA_DIR: '/tmp/maestro-test/data', MAESTRO_TEMPORAL_PORT: '1' });
    expect(env.PATH).toBe(process.env.PATH);
  });

  test('a TEMPORAL_CLI_PATH given for the stack wins over the caller’s', () => {
    process.env.TEMPORAL_CLI_PATH = '/opt/temporal/bin/temporal';
    expect(stackEnv('/tmp/d', PORTS, { TEMPORAL_CLI_PATH: '/elsewhere/temporal' }).TEMPORAL_CLI_PATH).toBe(
      '/elsewhere/temporal',
    );
  });
});
