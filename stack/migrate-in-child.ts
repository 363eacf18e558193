import path from 'node:path';
import { execa } from 'execa';
import { z } from 'zod';
import { SecretScrubber } from '../domain/redact.js';
import { helperEnvironment } from '../runtime/child-env.js';
import { StackError } from '../runtime/errors.js';
import { projectRoot } from '../runtime/project-root.js';

const MIGRATION_TIMEOUT_MS = 300_000;

const MigrationOutput = z.object({
  applied: z.array(z.string()),
  firstAdmin: z.object({ name: z.string(), passwordFile: z.string(), created: z.boolean() }).optional(),
});

/** Runs stack/migrate.js, so the schema engine's memory leaves with its process; it also creates the first admin. */
export async function applyMigrationsInChild(
  databaseUrl: string,
  dataDir: string,
  signal: AbortSignal,
): Promise<z.infer<typeof MigrationOutput>> {
  const result = await execa(
    process.execPath,
    [path.join(projectRoot(), 'dist/stack/migrate.js'), '--data-dir', dataDir],
    {
      env: { ...helperEnvironment(), DATABASE_URL: databaseUrl },
      extendEnv: false,
      stdin: 'ignore',
      reject: false,
      timeout: MIGRATION_TIMEOUT_MS,
      cancelSignal: signal,
    },
  );
  if (signal.aborted) throw new StackError('Stopped while starting.');
  if (result.exitCode !== 0) {
    const scrub = SecretScrubber.fromEnv({ ...process.env, DATABASE_URL: databaseUrl });
    const reason = scrub.scrub(
      String(result.stderr || result.shortMessage)
        .replace(/^maestro: /, '')
        .split('\n')[0]!,
    );
    throw new StackError(`Applying database migrations failed: ${reason}`);
  }
  return MigrationOutput.parse(JSON.parse(String(result.stdout).trim().split('\n').at(-1)!));
}
