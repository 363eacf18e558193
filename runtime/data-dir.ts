import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
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
    mkdirSync(root, { recursive: true, mode: PRIVATE_DIR });
    writeFileSync(marker, `${JSON.stringify({ maestro: 1, createdAt: new Date().toISOString() }, null, 2)}\n`, {
      mode: PRIVATE_FILE,
    });
  }
  const layout = dataLayout(root);
  for (const dir of [path.dirname(layout.temporalDb), layout.logs, path.dirname(layout.runFile)]) {
    mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
  }
  makePrivate(root);
  return layout;
}

/** The data folder holds credentials, logs and clones: the user's alone. */
export const PRIVATE_DIR = 0o700;
export const PRIVATE_FILE = 0o600;

/**
 * Folders whose files Maestro writes itself (logs, run state, subtask logs and proofs, Temporal's
 * database): every file in them is made private. Elsewhere (clones, worktrees, caches, PostgreSQL,
 * which keeps its own modes) the folder itself is closed, which keeps everyone else out of all below.
 */
const WRITTEN_BY_MAESTRO = new Set(['logs', 'run', 'subtasks', 'temporal']);

/**
 * As root, Maestro runs PostgreSQL as the "postgres" user, which must pass through the data folder
 * to its own: others may then enter it (0711) but list nothing, and everything below stays private.
 */
function rootMode(): number {
  return process.getuid?.() === 0 ? 0o711 : PRIVATE_DIR;
}

/** Tightens a data folder made before it was private (an umask's 0755 and 0644): at every start. */
export function makePrivate(root: string): void {
  chmodSync(root, rootMode());
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const entryPath = path.join(root, entry.name);
    if (entry.isFile()) chmodSync(entryPath, PRIVATE_FILE);
    if (!entry.isDirectory()) continue;
    chmodSync(entryPath, PRIVATE_DIR);
    if (WRITTEN_BY_MAESTRO.has(entry.name)) privateTree(entryPath);
    else if (entry.name !== 'postgres')
      for (const inner of readdirSync(entryPath, { withFileTypes: true }))
        if (inner.isDirectory()) chmodSync(path.join(entryPath, inner.name), PRIVATE_DIR);
  }
}

function privateTree(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const entryPath = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      chmodSync(entryPath, PRIVATE_DIR);
      privateTree(entryPath);
    } else if (entry.isFile()) {
      // A program stays one (for its owner).
      chmodSync(entryPath, statSync(entryPath).mode & 0o100 ? PRIVATE_DIR : PRIVATE_FILE);
    }
  }
}
