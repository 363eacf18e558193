import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MaestroProcess, type ProcessEntry, descendantsOf, freePorts, newDataDir } from './support/maestro-process.js';

/** Keys of the configured providers: custom names, one no pattern would take for a secret, and the shorthand's. */
const MODEL_KEYS = {
  MY_CORP_LLM_TOKEN: 'corp-llm-token-0123456789',
  CORP_LLM_BEARER: 'corp-bearer-0123456789',
  LOCAL_LLM_PASS: 'shorthand-key-0123456789',
  ANTHROPIC_API_KEY: 'sk-ant-planted-0123456789abcdef',
};
/** A well-known provider's key that no provider of this configuration uses: no Maestro process needs it. */
const UNUSED_KEY = { GROQ_API_KEY: 'groq-planted-0123456789' };

function environOf(pid: number): Record<string, string> | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/environ`, 'utf8');
    return Object.fromEntries(
      text
        .split('\0')
        .filter(Boolean)
        .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
    );
  } catch {
    return undefined; // gone, or another user's (PostgreSQL when run as root)
  }
}

function secretsIn(env: Record<string, string>): string[] {
  const planted = Object.values({ ...MODEL_KEYS, ...UNUSED_KEY });
  return Object.entries(env)
    .filter(([, value]) => planted.some((secret) => value.includes(secret)))
    .map(([name]) => name);
}

describe("the secrets in the stack's processes", () => {
  let maestro: MaestroProcess;
  let tree: ProcessEntry[];

  beforeAll(async () => {
    const configDir = mkdtempSync(path.join(os.tmpdir(), 'maestro-child-secrets-'));
    const configFile = path.join(configDir, 'maestro.config.json');
    const provider = (apiKeyEnv: string) => ({
      kind: 'openai-compatible',
      baseUrl: 'http://127.0.0.1:9/v1',
      apiKeyEnv,
    });
    writeFileSync(
      configFile,
      JSON.stringify({
        models: { providers: { corp: provider('MY_CORP_LLM_TOKEN'), bearer: provider('CORP_LLM_BEARER') } },
      }),
    );
    ({ maestro } = await MaestroProcess.start({
      dataDir: newDataDir('child-secrets'),
      ports: await freePorts(),
      env: {
        ...MODEL_KEYS,
        ...UNUSED_KEY,
        MAESTRO_CONFIG: configFile,
        MAESTRO_MODEL_API_KEY_ENV: 'LOCAL_LLM_PASS',
        MAESTRO_WORKER_PROCESSES: 'workflows,orchestrator;tester,developer,runner,council;models',
      },
    }));
    tree = descendantsOf(maestro.pid);
  });

  afterAll(async () => {
    await maestro?.killAll();
  });

  test('no process but the models worker holds a key: the API, the other workers, Temporal, PostgreSQL', () => {
    const isModels = (entry: ProcessEntry) => /dist\/workers\/main\.js --queues models$/.test(entry.command);
    const others = tree.filter((entry) => !isModels(entry));
    const checked = others.flatMap((entry) => {
      const env = environOf(entry.pid);
      return env ? [{ command: entry.command, leaked: secretsIn(env) }] : [];
    });
    expect(checked.some((process) => process.command.includes('dist/web/server/main.js'))).toBe(true);
    expect(checked.filter((process) => process.command.includes('dist/workers/main.js'))).toHaveLength(2);
    expect(checked.some((process) => /temporal/.test(process.command))).toBe(true);
    console.info(
      `child-secrets: ${checked.length + 1} processes checked, ${checked.filter((p) => p.leaked.length > 0).length} hold a key outside the gateway`,
    );
    expect(checked.filter((process) => process.leaked.length > 0)).toEqual([]);
  });

  test('the API is told which key variables are set, never their values', () => {
    const api = tree.find((entry) => entry.command.includes('dist/web/server/main.js'))!;
    const set = environOf(api.pid)!.MAESTRO_MODEL_KEYS_SET!.split(',').sort();
    expect(set).toEqual(Object.keys(MODEL_KEYS).sort());
  });

  test("the models worker holds the configured providers' keys and no other", () => {
    const models = tree.filter((entry) => /dist\/workers\/main\.js --queues models$/.test(entry.command));
    expect(models).toHaveLength(1);
    expect(secretsIn(environOf(models[0]!.pid)!).sort()).toEqual(Object.keys(MODEL_KEYS).sort());
  });
});
