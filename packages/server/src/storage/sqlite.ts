import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, type Transaction } from 'kysely';
import { type Database, KyselyStore } from './kysely-store.js';
import { migrate } from './migrations.js';

/**
 * SQLite through one connection. Kysely runs every query and transaction of a connection one at a
 * time, so `inAccount` is already serialised against all other work of this process.
 */
export class SqliteStore extends KyselyStore {
  readonly kind = 'sqlite' as const;

  protected async lockAccount(_tx: Transaction<Database>, _accountId: string): Promise<void> {}
}

export async function openSqliteStore(path: string): Promise<SqliteStore> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const raw = new BetterSqlite3(path);
  // WAL keeps readers off the writer's back; a committed transaction survives a killed process.
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('foreign_keys = ON');
  raw.pragma('busy_timeout = 5000');
  // Money reaches 1e16 micro-units, beyond 2^53: read every integer exactly.
  raw.defaultSafeIntegers(true);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
  await migrate(db as Kysely<unknown>);
  return new SqliteStore(db);
}
