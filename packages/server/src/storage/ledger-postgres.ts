import { CompiledQuery, type Kysely, type Transaction } from 'kysely';
import type { SettlementRecord } from '../domain/ports/ledger.js';
import type { Charge } from '../domain/ports/reservations.js';
import type { Database } from './kysely/schema.js';
import { chunks, KyselyUsageLedger, settlementRows, text } from './ledger-store.js';

/** `insert into <head> values ($1, …), (…) <tail>` over rows of `width` values, and its parameters. */
function multiRow(head: string, width: number, rows: readonly unknown[][], tail = ''): CompiledQuery {
  const parameters: unknown[] = [];
  const tuples: string[] = [];
  for (const row of rows) {
    const marks: string[] = [];
    for (let i = 0; i < width; i++) {
      parameters.push(row[i]);
      marks.push(`$${parameters.length}`);
    }
    tuples.push(`(${marks.join(', ')})`);
  }
  return CompiledQuery.raw(`insert into ${head} values ${tuples.join(', ')}${tail}`, parameters);
}

const LINE =
  'usage_ledger (id, account_id, api_key_id, reservation_id, request_id, at, model_id, sku, kind, tokens, ' +
  'price_per_mtok, amount, currency, prompt_tokens, completion_tokens, execution_ms)';
const PER_MODEL_TAIL =
  ' on conflict (account_id, day, api_key_id, model_id, kind, currency) do update set ' +
  'amount = usage_daily_model.amount + excluded.amount, tokens = usage_daily_model.tokens + excluded.tokens, ' +
  'requests = usage_daily_model.requests + excluded.requests';

/**
 * Settlement on PostgreSQL with the SQL written out: the same statements the Kysely ledger builds (one
 * multi-row statement per table and chunk), without building a query tree per value of a busy batch.
 */
export class PostgresUsageLedger extends KyselyUsageLedger {
  constructor(private readonly handle: Kysely<Database>) {
    super(handle);
  }

  override record(batch: readonly SettlementRecord[]): Promise<Charge[]> {
    if (batch.length === 0) return Promise.resolve([]);
    return this.handle.transaction().execute(async (trx) => {
      // Idempotency first: only reservations this insert claims are written; the others keep what was recorded.
      const claimed = new Set<string>();
      for (const part of chunks(batch)) {
        const rows = part.map((s) => [s.reservationId, s.at, text(s.charge.usd), text(s.charge.diem)]);
        const claim = multiRow(
          'settled_reservations (reservation_id, at, usd, diem)',
          4,
          rows,
          ' on conflict (reservation_id) do nothing returning reservation_id',
        );
        for (const r of (await trx.executeQuery<{ reservation_id: string }>(claim)).rows) claimed.add(r.reservation_id);
      }
      const fresh = batch.filter((s) => claimed.has(s.reservationId));
      const earlier = await recorded(
        trx,
        batch.filter((s) => !claimed.has(s.reservationId)).map((s) => s.reservationId),
      );
      if (fresh.length > 0) await write(trx, fresh);
      return batch.map((s) => (claimed.has(s.reservationId) ? s.charge : (earlier.get(s.reservationId) ?? s.charge)));
    });
  }
}

async function recorded(trx: Transaction<Database>, ids: string[]): Promise<Map<string, Charge>> {
  const found = new Map<string, Charge>();
  if (ids.length === 0) return found;
  const query = CompiledQuery.raw(
    'select reservation_id, usd, diem from settled_reservations where reservation_id = any($1::text[])',
    [ids],
  );
  const { rows } = await trx.executeQuery<{ reservation_id: string; usd: string; diem: string }>(query);
  for (const r of rows) found.set(r.reservation_id, { usd: BigInt(r.usd), diem: BigInt(r.diem) });
  return found;
}

async function write(trx: Transaction<Database>, batch: readonly SettlementRecord[]): Promise<void> {
  const { lines, daily, perModel, debits } = settlementRows(batch);
  for (const part of chunks(lines)) {
    const rows = part.map((l) => [
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
    ]);
    await trx.executeQuery(multiRow(LINE, 16, rows));
  }
  for (const part of chunks(daily)) {
    const rows = part.map((d) => [d.key_id, d.account_id, d.day, text(d.usd), text(d.diem)]);
    const tail =
      ' on conflict (key_id, day) do update set usd = usage_daily.usd + excluded.usd, diem = usage_daily.diem + excluded.diem';
    await trx.executeQuery(multiRow('usage_daily (key_id, account_id, day, usd, diem)', 5, rows, tail));
  }
  for (const part of chunks(perModel)) {
    const rows = part.map((m) => [
      m.account_id,
      m.api_key_id,
      m.day,
      m.model_id,
      m.kind,
      m.currency,
      text(m.amount),
      text(m.tokens),
      m.requests,
    ]);
    const head = 'usage_daily_model (account_id, api_key_id, day, model_id, kind, currency, amount, tokens, requests)';
    await trx.executeQuery(multiRow(head, 9, rows, PER_MODEL_TAIL));
  }
  for (const d of debits)
    await trx.executeQuery(
      CompiledQuery.raw('update accounts set usd_balance = usd_balance - $1 where id = $2', [text(d.usd), d.id]),
    );
}
