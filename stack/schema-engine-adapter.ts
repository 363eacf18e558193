import { randomUUID } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import { ColumnTypeEnum, type SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import pg, { type ClientConfig } from 'pg';

const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;
const CHAR_COLUMNS = Symbol('char columns');

type PgAdapter = Awaited<ReturnType<PrismaPg['connect']>>;
type TaggedRows = unknown[][] & { [CHAR_COLUMNS]?: number[] };

/**
 * The pg adapter as the schema engine needs it. Two gaps of the adapter are closed here:
 * - it has no mapping for PostgreSQL's one-byte `"char"` type, which the engine reads from the
 *   catalogs (pg_constraint.contype) and expects as characters;
 * - it splits migration scripts on every `;`, which breaks function bodies; the native engine sends
 *   a script whole, as PostgreSQL's simple query protocol allows, and so does this.
 */
export function schemaEngineAdapterFactory(config: ClientConfig): SqlMigrationAwareDriverAdapterFactory {
  const factory = new PrismaPg(config);
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => fixForSchemaEngine(await factory.connect()),
    connectToShadowDb: () => connectToShadowDatabase(config),
  };
}

function fixForSchemaEngine(adapter: PgAdapter): PgAdapter {
  const pool = adapter.underlyingDriver();
  const query = pool.query.bind(pool) as (
    config: unknown,
  ) => Promise<{ fields?: Array<{ dataTypeID: number }>; rows: TaggedRows }>;
  (pool as unknown as { query: typeof query }).query = async (queryConfig) => {
    const result = await query(queryConfig);
    const charColumns = (result.fields ?? []).flatMap((field, index) =>
      field.dataTypeID === PG_CHAR_OID ? [index] : [],
    );
    for (const index of charColumns) result.fields![index]!.dataTypeID = PG_TEXT_OID;
    if (charColumns.length > 0) result.rows[CHAR_COLUMNS] = charColumns;
    return result;
  };
  adapter.executeScript = async (script) => {
    try {
      await pool.query(script);
    } catch (error) {
      (adapter as unknown as { onError(error: unknown): never }).onError(error);
    }
  };
  const queryRaw = adapter.queryRaw.bind(adapter);
  adapter.queryRaw = async (sqlQuery) => {
    const result = await queryRaw(sqlQuery);
    for (const index of (result.rows as TaggedRows)[CHAR_COLUMNS] ?? [])
      result.columnTypes[index] = ColumnTypeEnum.Character;
    return result;
  };
  return adapter;
}

/**
 * A temporary database for the engine to replay migrations into. The adapter's own version drops
 * the database before closing its pool, which PostgreSQL refuses while that pool is connected.
 */
async function connectToShadowDatabase(config: ClientConfig): Promise<PgAdapter> {
  const database = `prisma_migrate_shadow_db_${randomUUID()}`;
  await runAdminStatement(config, `CREATE DATABASE "${database}"`);
  const adapter = fixForSchemaEngine(await new PrismaPg({ ...config, database }).connect());
  const dispose = adapter.dispose.bind(adapter);
  adapter.dispose = async () => {
    await dispose();
    await runAdminStatement(config, `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  };
  return adapter;
}

async function runAdminStatement(config: ClientConfig, sql: string) {
  const client = new pg.Client(config);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
