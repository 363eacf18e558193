import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { StackError } from './errors.js';

const MARKER = 'maestro-data.json';

export interface DataLayout {
  root: string;
  temporalDb: string;
  postgres: string;
  postgresCredentials: string;
  logs: string;
  runFile: string;
}

export function dataLayout(root: string): DataLayout {
  return {
    root,
    temporalDb: path.join(root, 'temporal', 'temporal.db'),
    postgres: path.join(root, 'postgres'),
    postgresCredentials: path.join(root, 'postgres-credentials.json'),
    logs: path.join(root, 'logs'),
    runFile: path.join(root, 'run', 'stack.json'),
  };
}

/**
 * Makes sure the data folder is Maestro's: a new or empty folder is claimed with a marker file; a
 * folder with other content is refused, so Maestro never writes into somebody else's data.
 */
export function claimDataDir(root: string): DataLayout {
  const marker = path.join(root, MARKER);
  if (existsSync(marker)) {
    try {
      const content = JSON.parse(readFileSync(marker, 'utf8')) as { maestro?: unknown };
      if (content.maestro !== 1) throw new Error('unknown layout');
    } catch {
      throw new StackError(
        `${marker} is damaged or from another version: move the folder aside or set MAESTRO_DATA_DIR to another folder.`,
      );
    }
  } else {
    if (existsSync(root) && readdirSync(root).length > 0) {
      throw new StackError(
        `${root} is not a Maestro data folder (it has other files and no ${MARKER}): set MAESTRO_DATA_DIR to a new or empty folder.`,
      );
    }
    mkdirSync(root, { recursive: true });
    writeFileSync(marker, `${JSON.stringify({ maestro: 1, createdAt: new Date().toISOString() }, null, 2)}\n`);
  }
  const layout = dataLayout(root);
  for (const dir of [path.dirname(layout.temporalDb), layout.logs, path.dirname(layout.runFile)]) {
    mkdirSync(dir, { recursive: true });
  }
  return layout;
}
