import { rmSync } from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { dataLayout } from '../runtime/data-dir.js';
import { createLogger } from '../runtime/log.js';
import { embeddedDatabaseUrl } from '../runtime/database-url.js';
import { projectRoot } from '../runtime/project-root.js';
import { resolveTemporalCli } from '../stack/temporal-cli.js';
import { MaestroProcess, freePorts, newDataDir } from './support/maestro-process.js';

export interface SharedStack {
  apiUrl: string;
  temporalAddress: string;
  namespace: string;
  databaseUrl: string;
  dataDir: string;
  pid: number;
  demo: boolean;
}

declare module 'vitest' {
  export interface ProvidedContext {
    sharedStack: SharedStack;
  }
}

/**
 * One real Maestro (Temporal dev server, embedded PostgreSQL, API, workers) for the suites that only
 * read or add; suites that stop, kill or break a stack start their own.
 */
export default async function setup(project: TestProject) {
  // On a clean machine the Temporal CLI is built once here (minutes), before any test's timeout runs.
  await resolveTemporalCli(
    { cliPath: process.env.TEMPORAL_CLI_PATH, binDir: path.join(projectRoot(), '.maestro/bin'), env: process.env },
    createLogger('test-setup', 'info'),
  );
  const dataDir = newDataDir('shared');
  const ports = await freePorts();
  // No model configured: the shared stack runs the offline demo, which tests check too.
  const { maestro, ready } = await MaestroProcess.start({ dataDir, ports, env: { MAESTRO_MODEL_BASE_URL: '' } });
  project.provide('sharedStack', {
    apiUrl: ready.consoleUrl,
    temporalAddress: ready.temporalAddress,
    namespace: 'maestro',
    databaseUrl: embeddedDatabaseUrl(dataLayout(dataDir).postgresCredentials, ports.postgres),
    dataDir,
    pid: maestro.pid,
    demo: ready.demo,
  });
  return async () => {
    const exit = await maestro.stop('SIGTERM');
    if (exit.code !== 0)
      console.error(`the shared Maestro stopped with ${JSON.stringify(exit)}: ${maestro.stderr.join('\n')}`);
    rmSync(path.dirname(dataDir), { recursive: true, force: true });
  };
}
