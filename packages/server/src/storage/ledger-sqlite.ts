import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { SettlementRecord } from '../domain/ports/ledger.js';
import type { Charge } from '../domain/ports/reservations.js';
import type { Database } from './kysely/schema.js';
import { COLUMNS, KyselyUsageLedger, ON_CONFLICT, settlementRows, text, valuesOf } from './ledger-store.js';

const insert = (table: string, columns: readonly string[]) =>
  `insert into ${table} (${columns.join(', ')}) values (${columns.map(() => '?').join(', ')})`;

/** The same statements as the Kysely ledger writes, prepared once. */
const SQL = {
  claim:
    'insert into settled_reservations (reservation_id, at, usd, diem) values (?, ?, ?, ?) on conflict (reservation_id) do nothing',
  recorded: 'select usd, diem from settled_reservations where reservation_id = ?',
  line: insert('usage_ledger', COLUMNS.line),
  daily: insert('usage_daily', COLUMNS.daily) + ON_CONFLICT.daily,
  perModel: insert('usage_daily_model', COLUMNS.perModel) + ON_CONFLICT.perModel,
  debit: 'update accounts set usd_balance = usd_balance - ? where id = ?',
};

/**
 * Settlement on SQLite without Kysely on the way: building the batch's queries cost more than running
 * them. One `BEGIN IMMEDIATE` transaction per batch over statements prepared once, run synchronously
 * while holding Kysely's one connection, so it never interleaves with a Kysely transaction.
 */
export class SqliteUsageLedger extends KyselyUsageLedger {
  private readonly writeBatch: (batch: readonly SettlementRecord[]) => Charge[];

  constructor(
    private readonly connection: Kysely<Database>,
    raw: BetterSqlite3.Database,
    /** What a failed write becomes (a busy database: a 503 the writer retries). */
    private readonly mapError: (e: unknown) => unknown,
  ) {
    super(connection);
    const s = Object.fromEntries(Object.entries(SQL).map(([k, q]) => [k, raw.prepare(q)])) as Record<
      keyof typeof SQL,
      BetterSqlite3.Statement
    >;
    this.writeBatch = raw.transaction((batch: readonly SettlementRecord[]) => {
      // Idempotency first: only reservations this insert claims are written; the others keep what was recorded.
      const fresh: SettlementRecord[] = [];
      const charges = batch.map((r) => {
        if (s.claim.run(r.reservationId, r.at, text(r.charge.usd), text(r.charge.diem)).changes === 1) {
          fresh.push(r);
          return r.charge;
        }
        const found = s.recorded.get(r.reservationId) as { usd: bigint; diem: bigint } | undefined;
        return found ? { usd: BigInt(found.usd), diem: BigInt(found.diem) } : r.charge;
      });
      if (fresh.length === 0) return charges;
      const { lines, daily, perModel, debits } = settlementRows(fresh);
      for (const l of lines) s.line.run(valuesOf(l, COLUMNS.line));
      for (const d of daily) s.daily.run(valuesOf(d, COLUMNS.daily));
      for (const m of perModel) s.perModel.run(valuesOf(m, COLUMNS.perModel));
      for (const d of debits) s.debit.run(text(d.usd), d.id);
      return charges;
    }).immediate;
  }

  override record(batch: readonly SettlementRecord[]): Promise<Charge[]> {
    if (batch.length === 0) return Promise.resolve([]);
    return this.connection.connection().execute(async () => {
      try {
        return this.writeBatch(batch);
      } catch (e) {
        throw this.mapError(e);
      }
    });
  }
}
