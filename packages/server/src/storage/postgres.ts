import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import type { Database } from './kysely/schema.js';
import { KyselyStore } from './kysely/store.js';
import { migrate } from './migrations.js';

export class PostgresStore extends KyselyStore {
  readonly kind = 'postgres' as const;

  protected async lockAccount(tx: Transaction<Database>, accountId: string): Promise<void> {
    // A row lock on the account serialises its creates, revokes and mints across all instances.
    await sql`select id from accounts where id = ${accountId} for update`.execute(tx);
  }
}

export interface PostgresOptions {
  /** Schema to create and use (tests isolate themselves this way); default `public`. */
  schema?: string;
  maxConnections?: number;
}

export async function openPostgresStore(url: string, options: PostgresOptions = {}): Promise<PostgresStore> {
  const schema = options.schema;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name ${schema}`);
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  if (schema) await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
  // Kysely's migrator takes a transaction-scoped advisory lock, so instances starting together are safe.
  const current = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  await migrate(db as Kysely<unknown>, current.rows[0]?.schema ?? 'public');
  return new PostgresStore(db);
}
