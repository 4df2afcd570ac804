import { type Driver, Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import { isAppError } from '../domain/errors.js';
import { stderrWarning, type Warn } from '../stderr-warning.js';
import type { Database } from './kysely/schema.js';
import { KyselyStore } from './kysely/store.js';
import { PostgresUsageLedger } from './ledger-postgres.js';
import { migrate } from './migrations.js';
import { unavailableAs503 } from './unavailable.js';

export class PostgresStore extends KyselyStore {
  readonly kind = 'postgres' as const;
  override readonly ledger: PostgresUsageLedger;

  constructor(db: Kysely<Database>) {
    super(db);
    this.ledger = new PostgresUsageLedger(db);
  }

  protected async lockAccount(tx: Transaction<Database>, accountId: string): Promise<void> {
    // A row lock on the account serialises its creates, revokes and mints across all instances.
    await sql`select id from accounts where id = ${accountId} for update`.execute(tx);
  }
}

export interface PostgresOptions {
  /** Schema to create and use (tests isolate themselves this way); default `public`. */
  schema?: string;
  maxConnections?: number;
  /** Waiting longer than this for a connection (to connect, or for the pool under load) is a 503 (default 30 s). */
  connectionTimeoutMs?: number;
  /** The server cancels a statement running longer than this (default 30 s). */
  statementTimeoutMs?: number;
  /** Where a lost connection is reported; default one JSON line on stderr. */
  warn?: Warn;
}

/** SQLSTATE classes and socket errors that mean "no database right now", not "bad request". */
const UNAVAILABLE_STATES = /^(08|53|57P0[1-4]|57014)/;
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND']);

function isUnavailable(e: unknown): boolean {
  const { code, message } = (e ?? {}) as { code?: string; message?: string };
  if (code !== undefined && (UNAVAILABLE_CODES.has(code) || UNAVAILABLE_STATES.test(code))) return true;
  // pg's own words for a connection it lost or could not get.
  return /Connection terminated|timeout exceeded when trying to connect|not queryable|Connection ended/i.test(
    message ?? '',
  );
}

class ResilientPostgresDialect extends PostgresDialect {
  override createDriver(): Driver {
    return unavailableAs503(super.createDriver(), isUnavailable);
  }
}

/**
 * A pool that survives its connections dying (a PostgreSQL restart, a failover,
 * `idle_session_timeout`, `pg_terminate_backend`): every client gets an error listener, so a dead
 * connection is logged and dropped, never an unhandled 'error' event that ends the process; the
 * pool opens fresh ones on demand, so the service recovers on its own once the database is back.
 */
function resilientPool(url: string, options: PostgresOptions): pg.Pool {
  const warn = options.warn ?? stderrWarning;
  const statementTimeout = options.statementTimeoutMs ?? 30_000;
  const serverOptions = [
    `-c statement_timeout=${statementTimeout}`,
    // A transaction left open by a stuck client must not hold account locks forever.
    `-c idle_in_transaction_session_timeout=${Math.max(statementTimeout, 60_000)}`,
    ...(options.schema ? [`-c search_path=${options.schema}`] : []),
  ];
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 30_000,
    options: serverOptions.join(' '),
  });
  const report = (err: Error & { code?: string }) =>
    warn({ err: { message: err.message, code: err.code } }, 'PostgreSQL connection lost; it will be replaced');
  // Every client reports its own death, idle or checked out; the pool's echo of an idle one is the same event.
  pool.on('connect', (client) => client.on('error', report));
  pool.on('error', () => {});
  return pool;
}

export async function openPostgresStore(url: string, options: PostgresOptions = {}): Promise<PostgresStore> {
  const schema = options.schema;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name ${schema}`);
  const db = new Kysely<Database>({ dialect: new ResilientPostgresDialect({ pool: resilientPool(url, options) }) });
  try {
    if (schema) await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
    // Kysely's migrator takes a transaction-scoped advisory lock, so instances starting together are safe.
    const current = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
    await migrate(db as Kysely<unknown>, current.rows[0]?.schema ?? 'public');
  } catch (e) {
    await db.destroy();
    // At start-up the operator needs the driver's own words (host, refused, timed out), not a 503.
    throw isAppError(e) && e.cause !== undefined ? e.cause : e;
  }
  return new PostgresStore(db);
}
