/**
 * `npm run db:migrate`: applies Prisma migrations to DATABASE_URL (or the embedded database), the
 * way `prisma migrate deploy` does. `npm start` runs it as a short-lived process on every start, so
 * the schema engine's memory is gone once the schema is up to date.
 */
import { loadConfig } from './config.js';
import { applyMigrations } from './migrations.js';
import { databaseUrlOf } from './postgres.js';
import { runMain } from './run-main.js';

runMain(async () => {
  const applied = await applyMigrations(databaseUrlOf(loadConfig()));
  process.stdout.write(`${JSON.stringify({ applied })}\n`);
});
