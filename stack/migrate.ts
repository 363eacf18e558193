/**
 * `npm run db:migrate`: applies Prisma migrations to DATABASE_URL (or the embedded database), the
 * way `prisma migrate deploy` does, and creates the first admin when there is no user yet (its
 * password in `<dataDir>/admin-password`). `npm start` runs it as a short-lived process on every
 * start (with `--data-dir`), so the schema engine's memory is gone once the schema is up to date.
 */
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { disconnectPrisma, prismaFor } from '../data/prisma.js';
import { ensureFirstAdmin } from '../web/server/auth/first-admin.js';
import { loadConfig } from '../runtime/config.js';
import { applyMigrations } from './migrations.js';
import { databaseUrlOf } from '../runtime/database-url.js';
import { runMain } from '../runtime/run-main.js';

runMain(async () => {
  const { values } = parseArgs({ options: { 'data-dir': { type: 'string' } } });
  const config = loadConfig();
  const databaseUrl = databaseUrlOf(config);
  const applied = await applyMigrations(databaseUrl);
  const dataDir = values['data-dir'] ?? config.dataDir;
  mkdirSync(dataDir, { recursive: true });
  const firstAdmin = await ensureFirstAdmin(prismaFor(databaseUrl), dataDir).finally(disconnectPrisma);
  if (firstAdmin?.created && process.stdout.isTTY) {
    process.stdout.write(
      `Created the admin ${firstAdmin.name}; the first password is in ${firstAdmin.passwordFile}: change it on the console's Account page.\n`,
    );
  }
  process.stdout.write(`${JSON.stringify({ applied, firstAdmin })}\n`);
});
