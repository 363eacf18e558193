import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import { parseIntoClientConfig } from 'pg-connection-string';
import type { MigrationList, SchemaEngine } from '@prisma/schema-engine-wasm';
import { projectRoot } from '../runtime/project-root.js';
import { schemaEngineAdapterFactory } from './schema-engine-adapter.js';

/**
 * Prisma migrations, applied by Prisma's schema engine: the same engine as `prisma migrate deploy`,
 * in its WebAssembly build, talking to PostgreSQL through the `pg` driver adapter. The native engine
 * binary is downloaded from binaries.prisma.sh on first use, which offline machines cannot reach;
 * the history table (`_prisma_migrations`) is the same, so either tool can take over.
 */

type SchemaEngineModule = typeof import('@prisma/schema-engine-wasm');

/** The slice of the WebAssembly API used here (the Node type definitions do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, unknown>) => { exports: Record<string, unknown> };
}
const { WebAssembly: wasmApi } = globalThis as unknown as { WebAssembly: WasmApi };

const NO_FILTER = { externalTables: [], externalEnums: [] };

export interface PrismaPaths {
  schemaFile: string;
  migrationsDir: string;
}

export function prismaPaths(root = projectRoot()): PrismaPaths {
  return {
    schemaFile: path.join(root, 'prisma', 'schema.prisma'),
    migrationsDir: path.join(root, 'prisma', 'migrations'),
  };
}

/** Applies every migration not yet applied; returns the names it applied. */
export async function applyMigrations(databaseUrl: string, paths = prismaPaths()): Promise<string[]> {
  return withSchemaEngine(databaseUrl, paths, async (engine) => {
    const { appliedMigrationNames } = await engine.applyMigrations({
      migrationsList: loadMigrations(paths.migrationsDir),
      filters: NO_FILTER,
    });
    return appliedMigrationNames;
  });
}

/**
 * The SQL that would bring the migrations up to schema.prisma; empty when a migration exists for
 * every change. Uses a temporary shadow database on the same server.
 */
export async function unmigratedSchemaChanges(databaseUrl: string, paths = prismaPaths()): Promise<string> {
  return withSchemaEngine(databaseUrl, paths, async (engine) => {
    const result = await engine.diff({
      from: { tag: 'migrations', ...loadMigrations(paths.migrationsDir) },
      to: {
        tag: 'schemaDatamodel',
        files: [{ path: paths.schemaFile, content: readFileSync(paths.schemaFile, 'utf8') }],
      },
      script: true,
      exitCode: null,
      filters: NO_FILTER,
    });
    return stripEmptyScript(result.stdout ?? '');
  });
}

async function withSchemaEngine<T>(
  databaseUrl: string,
  paths: PrismaPaths,
  use: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  const { SchemaEngine } = await loadSchemaEngineModule();
  // Parsed, not a connectionString: the shadow database pool overrides `database`, which a
  // connectionString would silently win over (and the "shadow" would be the real database).
  const adapter = bindMigrationAwareSqlAdapterFactory(schemaEngineAdapterFactory(parseIntoClientConfig(databaseUrl)));
  const engine = await SchemaEngine.new(
    { datamodels: [[paths.schemaFile, readFileSync(paths.schemaFile, 'utf8')]] },
    () => undefined,
    adapter,
  );
  try {
    return await use(engine);
  } finally {
    engine.free();
  }
}

let engineModule: SchemaEngineModule | undefined;

/** The engine reports a Rust panic through this global before it throws. */
function panicRegistry(): { message: string } {
  const scope = globalThis as unknown as {
    PRISMA_WASM_PANIC_REGISTRY?: { message: string; set_message(text: string): void };
  };
  scope.PRISMA_WASM_PANIC_REGISTRY ??= {
    message: '',
    set_message(text: string) {
      this.message = `Prisma schema engine panicked: ${text}`;
    },
  };
  return scope.PRISMA_WASM_PANIC_REGISTRY;
}

/** The package targets bundlers (it imports a .wasm file); Node instantiates the module by hand. */
async function loadSchemaEngineModule(): Promise<SchemaEngineModule> {
  if (engineModule) return engineModule;
  panicRegistry();
  const gluePath = createRequire(import.meta.url).resolve('@prisma/schema-engine-wasm/schema_engine_bg');
  const glue = (await import(pathToFileURL(gluePath).href)) as SchemaEngineModule & {
    __wbg_set_wasm(exports: Record<string, unknown>): void;
  };
  const wasm = new wasmApi.Module(readFileSync(gluePath.replace(/\.js$/, '.wasm')));
  const instance = new wasmApi.Instance(wasm, { './schema_engine_bg.js': glue });
  glue.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as () => void)();
  engineModule = glue;
  return glue;
}

export function loadMigrations(migrationsDir: string): MigrationList {
  const lockfilePath = path.join(migrationsDir, 'migration_lock.toml');
  const directories = existsSync(migrationsDir)
    ? readdirSync(migrationsDir)
        .filter((name) => statSync(path.join(migrationsDir, name)).isDirectory())
        .sort()
    : [];
  return {
    baseDir: migrationsDir,
    lockfile: {
      path: 'migration_lock.toml',
      content: existsSync(lockfilePath) ? readFileSync(lockfilePath, 'utf8') : null,
    },
    shadowDbInitScript: '',
    migrationDirectories: directories.map((name) => {
      const file = path.join(migrationsDir, name, 'migration.sql');
      return {
        path: name,
        migrationFile: {
          path: 'migration.sql',
          content: existsSync(file)
            ? { tag: 'ok', value: readFileSync(file, 'utf8') }
            : { tag: 'error', value: `${file} is missing` },
        },
      };
    }),
  };
}

function stripEmptyScript(sql: string): string {
  return sql.includes('empty migration') ? '' : sql.trim();
}
