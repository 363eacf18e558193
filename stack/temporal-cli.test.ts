import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { StackError } from '../runtime/errors.js';
import { createLogger } from '../runtime/log.js';
import { resolveTemporalCli } from './temporal-cli.js';

const log = createLogger('test', 'silent');

function fakeBinary(dir: string, name = 'temporal'): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  writeFileSync(file, '#!/bin/sh\necho fake\n');
  chmodSync(file, 0o755);
  return file;
}

describe('resolveTemporalCli', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'maestro-cli-'));
  const onPath = fakeBinary(path.join(root, 'path-bin'));
  const cached = fakeBinary(path.join(root, 'cache'));
  const explicit = fakeBinary(path.join(root, 'explicit'));

  test('TEMPORAL_CLI_PATH comes first', async () => {
    const found = await resolveTemporalCli(
      { cliPath: explicit, binDir: path.dirname(cached), env: { PATH: path.dirname(onPath) } },
      log,
    );
    expect(found).toBe(explicit);
  });

  test('then `temporal` on PATH', async () => {
    const found = await resolveTemporalCli(
      { cliPath: undefined, binDir: path.dirname(cached), env: { PATH: `/nonexistent:${path.dirname(onPath)}` } },
      log,
    );
    expect(found).toBe(onPath);
  });

  test('then the cached build', async () => {
    const found = await resolveTemporalCli(
      { cliPath: undefined, binDir: path.dirname(cached), env: { PATH: '/nonexistent' } },
      log,
    );
    expect(found).toBe(cached);
  });

  test('a TEMPORAL_CLI_PATH that is not an executable is an error, not a fallback', async () => {
    await expect(
      resolveTemporalCli(
        { cliPath: path.join(root, 'missing'), binDir: path.dirname(cached), env: { PATH: path.dirname(onPath) } },
        log,
      ),
    ).rejects.toThrow(/TEMPORAL_CLI_PATH is set to .*missing, which is not an executable file/);
  });

  test('without the CLI and without Go, it names the ways to get it', async () => {
    const error = await resolveTemporalCli(
      { cliPath: undefined, binDir: path.join(root, 'empty'), env: { PATH: path.join(root, 'nothing') } },
      log,
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StackError);
    const message = (error as Error).message;
    expect(message).toContain('brew install temporal');
    expect(message).toContain('https://temporal.download/cli.sh');
    expect(message).toContain('docker compose up');
    expect(message).toContain('TEMPORAL_CLI_PATH');
    expect(message.split('\n')).toHaveLength(1);
  });

  test('a failed Go build says what Go printed', async () => {
    const fakeGo = path.join(root, 'go-bin');
    mkdirSync(fakeGo, { recursive: true });
    writeFileSync(path.join(fakeGo, 'go'), '#!/bin/sh\necho "go: module lookup disabled by GOPROXY=off" >&2\nexit 1\n');
    chmodSync(path.join(fakeGo, 'go'), 0o755);
    await expect(
      resolveTemporalCli({ cliPath: undefined, binDir: path.join(root, 'empty2'), env: { PATH: fakeGo } }, log),
    ).rejects.toThrow(/Building the Temporal CLI with Go failed \(exit 1: go: module lookup disabled by GOPROXY=off\)/);
  });
});
