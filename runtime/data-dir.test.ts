import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
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
