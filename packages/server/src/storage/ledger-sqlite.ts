import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { SettlementRecord } from '../domain/ports/ledger.js';
import type { Charge } from '../domain/ports/reservations.js';
import type { Database } from './kysely/schema.js';
import { KyselyUsageLedger, settlementRows, text } from './ledger-store.js';

/** The same statements as the Kysely ledger writes, prepared once. */
const SQL = {
  claim:
    'insert into settled_reservations (reservation_id, at, usd, diem) values (?, ?, ?, ?) on conflict (reservation_id) do nothing',
  recorded: 'select usd, diem from settled_reservations where reservation_id = ?',
  line:
    'insert into usage_ledger (id, account_id, api_key_id, reservation_id, request_id, at, model_id, sku, kind, tokens, ' +
    'price_per_mtok, amount, currency, prompt_tokens, completion_tokens, execution_ms) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  daily:
    'insert into usage_daily (key_id, account_id, day, usd, diem) values (?, ?, ?, ?, ?) on conflict (key_id, day) ' +
    'do update set usd = usage_daily.usd + excluded.usd, diem = usage_daily.diem + excluded.diem',
  perModel:
    'insert into usage_daily_model (account_id, api_key_id, day, model_id, kind, currency, amount, tokens, requests) ' +
    'values (?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (account_id, day, api_key_id, model_id, kind, currency) do update set ' +
    'amount = usage_daily_model.amount + excluded.amount, tokens = usage_daily_model.tokens + excluded.tokens, ' +
    'requests = usage_daily_model.requests + excluded.requests',
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
      for (const l of lines)
        s.line.run(
          l.id,
          l.account_id,
          l.api_key_id,
          l.reservation_id,
          l.request_id,
          l.at,
          l.model_id,
          l.sku,
          l.kind,
          l.tokens,
          l.price_per_mtok,
          l.amount,
          l.currency,
          l.prompt_tokens,
          l.completion_tokens,
          l.execution_ms,
        );
      for (const d of daily) s.daily.run(d.key_id, d.account_id, d.day, text(d.usd), text(d.diem));
      for (const m of perModel)
        s.perModel.run(
          m.account_id,
          m.api_key_id,
          m.day,
          m.model_id,
          m.kind,
          m.currency,
          text(m.amount),
          text(m.tokens),
          m.requests,
        );
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
