import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import type { MaestroConfig } from '../domain/config.js';
import { dataLayout } from './data-dir.js';
import { StackError } from './errors.js';

export const DATABASE_NAME = 'maestro';

export const Credentials = z.object({ user: z.string().min(1), password: z.string().min(16) });
export type Credentials = z.infer<typeof Credentials>;

/** The database to use: DATABASE_URL, else the embedded database of the data folder. */
export function databaseUrlOf(config: MaestroConfig): string {
  return (
    config.database.url ?? embeddedDatabaseUrl(dataLayout(config.dataDir).postgresCredentials, config.database.port)
  );
}

/** The URL of the embedded database of a data folder, for processes started beside the stack. */
export function embeddedDatabaseUrl(credentialsFile: string, port: number): string {
  if (!existsSync(credentialsFile)) {
    throw new StackError(
      `No embedded database in this data folder yet (${credentialsFile} is missing): run \`npm start\` once, or set DATABASE_URL.`,
    );
  }
  return databaseUrl(readCredentials(credentialsFile), port);
}

export function databaseUrl(credentials: Credentials, port: number): string {
  return `postgresql://${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}/${DATABASE_NAME}`;
}

/** The embedded database's user and password, as its first start wrote them. */
export function readCredentials(file: string): Credentials {
  try {
    return Credentials.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    throw new StackError(
      `${file} is missing or damaged: restore it, or move the data folder aside to start with a new database.`,
    );
  }
}
