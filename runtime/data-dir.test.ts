import { chmodSync, existsSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { claimDataDir } from './data-dir.js';
import { StackError } from './errors.js';

const tempDir = () => mkdtempSync(path.join(os.tmpdir(), 'maestro-datadir-'));

describe('claimDataDir', () => {
  test('claims a folder that does not exist yet, and again on the next start', () => {
    const root = path.join(tempDir(), 'data');
    const layout = claimDataDir(root);
    expect(existsSync(path.join(root, 'maestro-data.json'))).toBe(true);
    expect(existsSync(layout.logs)).toBe(true);
    expect(claimDataDir(root)).toEqual(layout);
  });

  test('claims an empty folder', () => {
    const root = tempDir();
    claimDataDir(root);
    expect(existsSync(path.join(root, 'maestro-data.json'))).toBe(true);
  });

  test('refuses a folder with somebody else’s files, saying what to do', () => {
    const root = tempDir();
    writeFileSync(path.join(root, 'thesis.tex'), 'precious');
    expect(() => claimDataDir(root)).toThrow(StackError);
    expect(() => claimDataDir(root)).toThrow(
      /is not a Maestro data folder .* set MAESTRO_DATA_DIR to a new or empty folder/,
    );
    expect(existsSync(path.join(root, 'maestro-data.json'))).toBe(false);
  });

  test('refuses a damaged marker', () => {
    const root = tempDir();
    mkdirSync(root, { recursive: true });
    writeFileSync(path.join(root, 'maestro-data.json'), '{"maestro": 7}');
    expect(() => claimDataDir(root)).toThrow(/damaged or from another version/);
  });
});

/** Root runs PostgreSQL as its own user, who must pass through to its folder (and only pass). */
const ROOT_MODE = process.getuid?.() === 0 ? 0o711 : 0o700;

describe('a private data folder', () => {
  const modeOf = (file: string) => statSync(file).mode & 0o777;

  test('a new one is the user’s alone', () => {
    const root = path.join(tempDir(), 'data');
    const layout = claimDataDir(root);
    expect(modeOf(root)).toBe(ROOT_MODE);
    expect(modeOf(layout.logs)).toBe(0o700);
    expect(modeOf(path.join(root, 'maestro-data.json'))).toBe(0o600);
  });

  test('one made readable by everyone is tightened at the next start', () => {
    const root = path.join(tempDir(), 'data');
    const layout = claimDataDir(root);
    chmodSync(root, 0o755);
    const files = {
      log: path.join(layout.logs, 'maestro.log'),
      password: path.join(root, 'admin-password'),
      subtaskLog: path.join(root, 'subtasks', 'wf-1', 'logs', 'test.log'),
      script: path.join(root, 'subtasks', 'wf-1', 'run.sh'),
      cloneConfig: path.join(root, 'repos', 'shop', '.git', 'config'),
    };
    for (const file of Object.values(files)) {
      mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
      writeFileSync(file, 'x', { mode: 0o644 });
    }
    chmodSync(files.script, 0o755);
    claimDataDir(root);
    expect(modeOf(root)).toBe(ROOT_MODE);
    expect(modeOf(files.log)).toBe(0o600);
    expect(modeOf(files.password)).toBe(0o600);
    expect(modeOf(files.subtaskLog)).toBe(0o600);
    expect(modeOf(path.dirname(files.subtaskLog))).toBe(0o700);
    expect(modeOf(files.script)).toBe(0o700);
    expect(modeOf(path.join(root, 'repos'))).toBe(0o700);
    expect(modeOf(path.join(root, 'repos', 'shop'))).toBe(0o700);
  });
});
