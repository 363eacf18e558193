import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConfigError } from '../domain/config-resolve.js';
import { loadConfig, temporalAddressOf, temporalUiUrlOf } from './config.js';

function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'maestro-config-'));
}

describe('loadConfig', () => {
  test('reads maestro.config.json from the working folder and resolves its paths against the file', () => {
    const cwd = tempDir();
    writeFileSync(
      path.join(cwd, 'maestro.config.json'),
      JSON.stringify({ dataDir: 'state', temporal: { cliPath: 'tools/temporal' } }),
    );
    const config = loadConfig({ env: {}, cwd });
    expect(config.configFile).toBe(path.join(cwd, 'maestro.config.json'));
    expect(config.dataDir).toBe(path.join(cwd, 'state'));
    expect(config.binDir).toBe(path.join(cwd, '.maestro/bin'));
    expect(config.temporal.cliPath).toBe(path.join(cwd, 'tools/temporal'));
  });

  test('MAESTRO_CONFIG points at another file; its relative paths follow the file', () => {
    const cwd = tempDir();
    mkdirSync(path.join(cwd, 'etc'));
    writeFileSync(path.join(cwd, 'etc', 'maestro.json'), JSON.stringify({ dataDir: 'data', api: { port: 4999 } }));
    const config = loadConfig({ env: { MAESTRO_CONFIG: 'etc/maestro.json', MAESTRO_BIN_DIR: 'bin' }, cwd });
    expect(config.dataDir).toBe(path.join(cwd, 'etc', 'data'));
    expect(config.binDir).toBe(path.join(cwd, 'bin'));
    expect(config.api.port).toBe(4999);
  });

  test('a missing MAESTRO_CONFIG file is an error, a missing default file is not', () => {
    const cwd = tempDir();
    expect(() => loadConfig({ env: { MAESTRO_CONFIG: 'nope.json' }, cwd })).toThrow(
      /MAESTRO_CONFIG: .*nope\.json does not exist/,
    );
    expect(loadConfig({ env: {}, cwd }).configFile).toBeUndefined();
  });

  test('a file that is not JSON says so', () => {
    const cwd = tempDir();
    writeFileSync(path.join(cwd, 'maestro.config.json'), '{ "api": ');
    expect(() => loadConfig({ env: {}, cwd })).toThrow(ConfigError);
    expect(() => loadConfig({ env: {}, cwd })).toThrow(/maestro\.config\.json: not valid JSON/);
  });

  test('derives the Temporal address and UI of the embedded dev server', () => {
    const config = loadConfig({
      env: { MAESTRO_TEMPORAL_PORT: '7300', MAESTRO_TEMPORAL_UI_PORT: '8300' },
      cwd: tempDir(),
    });
    expect(temporalAddressOf(config)).toBe('127.0.0.1:7300');
    expect(temporalUiUrlOf(config)).toBe('http://127.0.0.1:8300');
    const external = loadConfig({ env: { TEMPORAL_ADDRESS: 'temporal:7233' }, cwd: tempDir() });
    expect(temporalAddressOf(external)).toBe('temporal:7233');
    expect(temporalUiUrlOf(external)).toBeUndefined();
  });
});

describe('addresses for people and clients', () => {
  test('a wildcard or IPv6 bind becomes an address one can open', () => {
    const wildcard = loadConfig({ env: { MAESTRO_TEMPORAL_HOST: '0.0.0.0' }, cwd: tempDir() });
    expect(temporalAddressOf(wildcard)).toBe('127.0.0.1:7233');
    const ipv6 = loadConfig({ env: { MAESTRO_TEMPORAL_HOST: '::1' }, cwd: tempDir() });
    expect(temporalUiUrlOf(ipv6)).toBe('http://[::1]:8233');
  });
});
