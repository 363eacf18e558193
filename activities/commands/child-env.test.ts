import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type CommandSandbox, runCommand } from './run-command.js';
import { git } from '../../git/git.js';
import { helperEnvironment } from '../../runtime/child-env.js';
import { loadConfig } from '../../runtime/config.js';
import { sandboxSupport } from '../../runtime/sandbox.js';

/** A custom provider's key by a name no pattern takes for a secret, and the shorthand's, named only in configuration. */
const PLANTED = { CORP_LLM_BEARER: 'corp-bearer-planted-0123', LOCAL_LLM_PASS: 'shorthand-planted-0123' };

const support = sandboxSupport('required');
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'maestro-child-env-data-'));
const sandboxes: Array<[string, CommandSandbox]> = [
  ['in the sandbox', { kind: 'bwrap', bwrap: support.bwrap ?? 'bwrap', dataDir, network: false }],
  ['unsandboxed', { kind: 'none', reason: 'testing the unsandboxed path' }],
];

describe('once a configuration naming custom keys is loaded, no child of the process gets them', () => {
  const saved = { ...process.env };
  let repo: string;

  beforeAll(async () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'maestro-child-env-'));
    loadConfig({
      cwd,
      env: {
        MAESTRO_MODEL_BASE_URL: 'http://127.0.0.1:9/v1',
        MAESTRO_MODEL_API_KEY_ENV: 'LOCAL_LLM_PASS',
        MAESTRO_DATA_DIR: path.join(cwd, 'data'),
      },
    });
    // The configuration file's custom provider: the shorthand above, and this one through the same path.
    loadConfig({
      cwd,
      env: { MAESTRO_MODEL_BASE_URL: 'http://127.0.0.1:9/v1', MAESTRO_MODEL_API_KEY_ENV: 'CORP_LLM_BEARER' },
    });
    Object.assign(process.env, PLANTED);
    repo = mkdtempSync(path.join(os.tmpdir(), 'maestro-child-env-repo-'));
    await git(repo, ['init', '-q']);
  });

  afterAll(() => {
    for (const name of Object.keys(PLANTED)) if (!(name in saved)) delete process.env[name];
  });

  test('git (and so anything git starts: an alias, a hook, a credential helper) sees none, PATH and HOME stay', async () => {
    const env = await git(repo, ['-c', 'alias.dumpenv=!env', 'dumpenv']);
    for (const value of Object.values(PLANTED)) expect(env).not.toContain(value);
    expect(env).toMatch(/^PATH=/m);
    expect(env).toMatch(/^HOME=/m);
  });

  test.each(sandboxes)('a project command %s sees none', async (_where, sandbox) => {
    const logFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'maestro-child-env-log-')), 'env.log');
    const result = await runCommand({ command: 'env', cwd: repo, logFile, sandbox });
    expect(result.exitCode).toBe(0);
    const printed = readFileSync(logFile, 'utf8');
    expect(printed).toMatch(/^PATH=/m);
    for (const value of Object.values(PLANTED)) expect(printed).not.toContain(value);
  });

  test("Maestro's own helpers (PostgreSQL, Temporal, migrations) see none", () => {
    const env = helperEnvironment();
    for (const name of Object.keys(PLANTED)) expect(env).not.toHaveProperty(name);
    expect(env.PATH).toBe(process.env.PATH);
  });
});
