import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { SettlementRecord } from '../domain/ports/ledger.js';
import type { Charge } from '../domain/ports/reservations.js';
import type { Database } from './kysely/schema.js';
import { COLUMNS, KyselyUsageLedger, ON_CONFLICT, settlementRows, text, valuesOf } from './ledger-store.js';
import type { LedgerJob, SqliteWorker } from './sqlite-worker.js';

const insert = (table: string, columns: readonly string[]) =>
  `insert into ${table} (${columns.join(', ')}) values (${columns.map(() => '?').join(', ')})`;

/** The same statements as the Kysely ledger writes, prepared once (here, and in the store's worker). */
export const LEDGER_SQL = {
  claim:
    'insert into settled_reservations (reservation_id, at, usd, diem) values (?, ?, ?, ?) on conflict (reservation_id) do nothing',
  recorded: 'select usd, diem from settled_reservations where reservation_id = ?',
  line: insert('usage_ledger', COLUMNS.line),
  daily: insert('usage_daily', COLUMNS.daily) + ON_CONFLICT.daily,
  perModel: insert('usage_daily_model', COLUMNS.perModel) + ON_CONFLICT.perModel,
  debit: 'update accounts set usd_balance = usd_balance - ? where id = ?',
};

/** A batch's rows as statement parameters. */
function rowsOf(batch: readonly SettlementRecord[]): Omit<LedgerJob, 'claims'> {
  const { lines, daily, perModel, debits } = settlementRows(batch);
  return {
    lines: lines.map((l) => valuesOf(l, COLUMNS.line)),
    daily: daily.map((d) => valuesOf(d, COLUMNS.daily)),
    perModel: perModel.map((m) => valuesOf(m, COLUMNS.perModel)),
    debits: debits.map((d) => [text(d.usd), d.id]),
  };
}

/** The idempotency claims of a batch, and the rows written if every claim is fresh. */
const jobOf = (batch: readonly SettlementRecord[]): LedgerJob => ({
  claims: batch.map((r) => [r.reservationId, r.at, text(r.charge.usd), text(r.charge.diem)]),
  ...rowsOf(batch),
});

/**
 * Settlement on SQLite without Kysely on the way: building the batch's queries cost more than running
 * them. Batches go to the store's worker thread when it has one (a database file), so that the inserts
 * and the commit stay off the event loop; otherwise (in memory, or the worker failed) one
 * `BEGIN IMMEDIATE` transaction runs here, synchronously, while holding Kysely's one connection, so it
 * never interleaves with a Kysely transaction.
 */
export class SqliteUsageLedger extends KyselyUsageLedger {
  private readonly writeHere: (batch: readonly SettlementRecord[]) => Charge[];

  constructor(
    private readonly connection: Kysely<Database>,
    raw: BetterSqlite3.Database,
    /** What a failed write becomes (a busy database: a 503 the writer retries). */
    private readonly mapError: (e: unknown) => unknown,
    private readonly worker?: SqliteWorker,
  ) {
    super(connection);
    const s = Object.fromEntries(Object.entries(LEDGER_SQL).map(([k, q]) => [k, raw.prepare(q)])) as Record<
      keyof typeof LEDGER_SQL,
      BetterSqlite3.Statement
    >;
    this.writeHere = raw.transaction((batch: readonly SettlementRecord[]) => {
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
      const job = rowsOf(fresh);
      for (const v of job.lines) s.line.run(v);
      for (const v of job.daily) s.daily.run(v);
      for (const v of job.perModel) s.perModel.run(v);
      for (const v of job.debits) s.debit.run(v);
      return charges;
    }).immediate;
  }

  override async record(batch: readonly SettlementRecord[]): Promise<Charge[]> {
    if (batch.length === 0) return [];
    try {
      if (this.worker?.alive) return await this.writeInWorker(batch);
      return await this.connection.connection().execute(async () => this.writeHere(batch));
    } catch (e) {
      throw this.mapError(e);
    }
  }

  /**
   * The worker writes a job whole or not at all: a job with a reservation recorded before writes
   * nothing and names those, and the rest is sent again. A reservation twice in one batch is claimed
   * once, and both get its charge, as on the connection here.
   */
  private async writeInWorker(batch: readonly SettlementRecord[]): Promise<Charge[]> {
    const charges = new Map<string, Charge>();
    const seen = new Set<string>();
    let fresh = batch.filter((r) => !seen.has(r.reservationId) && seen.add(r.reservationId));
    while (fresh.length > 0) {
      const { stale } = await (this.worker as SqliteWorker).write(jobOf(fresh));
      if (!stale) {
        for (const r of fresh) charges.set(r.reservationId, r.charge);
        break;
      }
      const recorded = new Map(
        stale.map(([id, usd, diem]) => [id, usd === null ? null : { usd, diem: diem as bigint }]),
      );
      for (const r of fresh) {
        const found = recorded.get(r.reservationId);
        if (found !== undefined) charges.set(r.reservationId, found ?? r.charge);
      }
      fresh = fresh.filter((r) => !recorded.has(r.reservationId));
    }
    return batch.map((r) => charges.get(r.reservationId) as Charge);
  }
}
