import { accessSync, constants, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { helperEnvironment } from '../runtime/child-env.js';
import { StackError } from '../runtime/errors.js';
import type { Logger } from '../runtime/log.js';

/** Later tags carry a replace directive in go.mod and cannot be go-installed. */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

const HOW_TO_GET_IT =
  'install the Temporal CLI (macOS: `brew install temporal`; Linux/macOS: `curl -sSf https://temporal.download/cli.sh | sh`), ' +
  'or install Go so Maestro can build it, or set TEMPORAL_CLI_PATH to the binary, ' +
  'or run everything with `docker compose up` (then set TEMPORAL_ADDRESS).';

export interface TemporalCliSearch {
  cliPath: string | undefined;
  binDir: string;
  env: Record<string, string | undefined>;
  /** Cancels a build in progress. */
  signal?: AbortSignal;
}

/**
 * Finds the Temporal CLI in this order: TEMPORAL_CLI_PATH, `temporal` on PATH, a cached build in
 * the bin folder; else builds it once with Go; else says how to get it.
 */
export async function resolveTemporalCli(search: TemporalCliSearch, log: Logger): Promise<string> {
  if (search.cliPath) {
    if (!isExecutableFile(search.cliPath)) {
      throw new StackError(
        `TEMPORAL_CLI_PATH is set to ${search.cliPath}, which is not an executable file: fix the path or unset it.`,
      );
    }
    return search.cliPath;
  }
  const onPath = findOnPath('temporal', search.env.PATH);
  if (onPath) return onPath;

  const cached = path.join(search.binDir, 'temporal');
  if (isExecutableFile(cached)) return cached;

  const go = findOnPath('go', search.env.PATH);
  if (!go) {
    throw new StackError(
      `The Temporal CLI was not found (looked at TEMPORAL_CLI_PATH, PATH and ${cached}) and Go is not installed to build it: ${HOW_TO_GET_IT}`,
    );
  }
  await buildTemporalCli(go, search, log);
  return cached;
}

async function buildTemporalCli(go: string, { binDir, env, signal }: TemporalCliSearch, log: Logger) {
  // A private GOBIN per build, renamed into place: two starts building at once cannot clash.
  const workDir = path.join(binDir, `.build-${process.pid}`);
  mkdirSync(workDir, { recursive: true });
  log.info(
    { module: TEMPORAL_CLI_MODULE, binDir },
    'building the Temporal CLI once with Go (a few minutes; cached afterwards)',
  );
  const started = Date.now();
  const ticker = setInterval(() => {
    log.info({ elapsedSeconds: Math.round((Date.now() - started) / 1000) }, 'still building the Temporal CLI');
  }, 15_000);
  try {
    const build = execa(go, ['install', TEMPORAL_CLI_MODULE], {
      env: { ...helperEnvironment(env), GOBIN: workDir, GOTOOLCHAIN: 'local' },
      extendEnv: false,
      stdin: 'ignore',
      all: true,
      reject: false,
      cancelSignal: signal,
    });
    let downloads = 0;
    build.all?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        if (line.startsWith('go: downloading')) {
          downloads += 1;
          if (downloads % 25 === 1)
            log.info({ downloads, latest: line.slice('go: downloading '.length) }, 'downloading Go modules');
        } else {
          log.info({ go: line }, 'go install');
        }
      }
    });
    const result = await build;
    if (signal?.aborted) throw new StackError('Stopped while building the Temporal CLI.');
    if (result.exitCode !== 0) {
      const tail = String(result.all ?? '')
        .split('\n')
        .slice(-5)
        .join(' | ');
      throw new StackError(
        `Building the Temporal CLI with Go failed (exit ${result.exitCode}: ${tail}): ${HOW_TO_GET_IT}`,
      );
    }
    renameSync(path.join(workDir, 'temporal'), path.join(binDir, 'temporal'));
    log.info({ seconds: Math.round((Date.now() - started) / 1000) }, 'Temporal CLI built and cached');
  } finally {
    clearInterval(ticker);
    rmSync(workDir, { recursive: true, force: true });
  }
}

export function findOnPath(command: string, pathVariable: string | undefined): string | undefined {
  for (const dir of (pathVariable ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, command);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function isExecutableFile(file: string): boolean {
  try {
    if (!existsSync(file) || !statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
