import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, type Driver, Kysely, SqliteDialect, type Transaction } from 'kysely';
import { stderrWarning } from '../stderr-warning.js';
import type { Database } from './kysely/schema.js';
import { KyselyStore } from './kysely/store.js';
import { LEDGER_SQL, SqliteUsageLedger } from './ledger-sqlite.js';
import { migrate } from './migrations.js';
import { type SqliteWorker, startSqliteWorker } from './sqlite-worker.js';
import { databaseUnavailable, unavailableAs503 } from './unavailable.js';

/**
 * SQLite through one connection. Kysely runs every query and transaction of a connection one at a
 * time, so `inAccount` is already serialised against all other work of this process.
 */
export class SqliteStore extends KyselyStore {
  readonly kind = 'sqlite' as const;
  override readonly ledger: SqliteUsageLedger;

  constructor(
    db: Kysely<Database>,
    raw: BetterSqlite3.Database,
    /** A second, read-only connection for the hot reads (absent for in-memory databases). */
    private readonly reader?: CachedStatements,
    /** The background thread (checkpoints, ledger batches) of a database file; its checks are public for tests. */
    readonly worker?: SqliteWorker,
    ledgerOnEventLoop = false,
  ) {
    super(db);
    const mapError = (e: unknown) => (isBusy(e) ? databaseUnavailable(e) : e);
    this.ledger = new SqliteUsageLedger(db, raw, mapError, ledgerOnEventLoop ? undefined : worker);
  }

  protected async lockAccount(_tx: Transaction<Database>, _accountId: string): Promise<void> {}

  /**
   * Hot reads go straight to better-sqlite3 on their own connection: no Kysely connection queue,
   * and, being another connection, they only ever see committed data, never a transaction in flight.
   */
  protected override async runHotRead<R>(query: CompiledQuery<R>): Promise<R[]> {
    if (!this.reader) return super.runHotRead(query);
    return this.reader.prepare(query.sql).all(...query.parameters) as R[];
  }

  override async close(): Promise<void> {
    await this.worker?.stop();
    await super.close();
    this.reader?.close();
  }
}

/**
 * Kysely prepares every query anew, and preparing costs more than running a small query: keep
 * prepared statements by SQL text. Reuse is safe because Kysely runs one query at a time per
 * connection and reads results whole (`all`), never leaving a statement mid-iteration.
 */
interface CachedStatements {
  prepare(sql: string): BetterSqlite3.Statement;
  close(): void;
}

function withStatementCache(raw: BetterSqlite3.Database, max = 500): CachedStatements {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => raw.close(),
    prepare(sql: string) {
      let stmt = cache.get(sql);
      if (!stmt) {
        stmt = raw.prepare(sql);
        if (cache.size >= max) cache.delete(cache.keys().next().value as string);
        cache.set(sql, stmt);
      }
      return stmt;
    },
  };
}

const isBusy = (e: unknown) => /^SQLITE_BUSY/.test((e as { code?: string }).code ?? '');

/**
 * Write transactions take the write lock up front (`BEGIN IMMEDIATE`), so that a second writer
 * (another process, the operator command) waits for it within `busy_timeout` instead of failing
 * when a deferred transaction tries to upgrade its read lock. Waiting longer than that is a 503.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    const driver = super.createDriver();
    driver.beginTransaction = async (connection) => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    };
    return unavailableAs503(driver, isBusy);
  }
}

export interface SqliteOptions {
  /** How long a writer waits for another writer's lock before the request gets a 503. */
  busyTimeoutMs?: number;
  /** How often the WAL is checkpointed off the event loop (default 1 s). */
  checkpointIntervalMs?: number;
  /** Ledger batches on this connection instead of the worker's (tests of that path). */
  ledgerOnEventLoop?: boolean;
}

export async function openSqliteStore(path: string, options: SqliteOptions = {}): Promise<SqliteStore> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const raw = new BetterSqlite3(path);
  // WAL keeps readers off the writer's back; a committed transaction survives a killed process.
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('foreign_keys = ON');
  raw.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
  // Money reaches 1e16 micro-units, beyond 2^53: read every integer exactly.
  raw.defaultSafeIntegers(true);
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: withStatementCache(raw) }) });
  await migrate(db as Kysely<unknown>);
  if (path === ':memory:') return new SqliteStore(db, raw);
  const reader = new BetterSqlite3(path, { readonly: true });
  reader.defaultSafeIntegers(true);
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  const worker = startSqliteWorker(path, raw, {
    ...(options.checkpointIntervalMs === undefined ? {} : { intervalMs: options.checkpointIntervalMs }),
    busyTimeoutMs,
    ledgerSql: LEDGER_SQL,
    onError: (e) =>
      stderrWarning(
        { database: path, err: { message: e.message } },
        'SQLite worker failed; checkpoints are automatic again and the ledger is written on the event loop',
      ),
  });
  return new SqliteStore(db, raw, withStatementCache(reader), worker, options.ledgerOnEventLoop);
}
