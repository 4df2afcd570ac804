import { type Kysely, sql, type Transaction } from 'kysely';
import type { LedgerEntry, SettlementRecord, UsageLedger } from '../domain/ports/ledger.js';
import type { Charge, MirrorFacts } from '../domain/ports/reservations.js';
import type { Database, Int } from './kysely/schema.js';

/** The tables of migration 0003_ledger. */
export type SettlementTables = {
  usage_ledger: {
    id: string;
    account_id: string;
    api_key_id: string;
    reservation_id: string;
    request_id: string;
    at: Int;
    model_id: string;
    sku: string;
    kind: string;
    tokens: Int;
    price_per_mtok: Int;
    amount: Int;
    currency: string;
    prompt_tokens: Int;
    completion_tokens: Int;
    execution_ms: Int;
  };
  usage_daily_model: {
    account_id: string;
    api_key_id: string;
    day: Int;
    model_id: string;
    kind: string;
    currency: string;
    amount: Int;
    tokens: Int;
    requests: Int;
  };
  settled_reservations: { reservation_id: string; at: Int; usd: Int; diem: Int };
};

/** Every table settlement touches (accounts and usage_daily of 0001 besides its own). */
export type LedgerTables = Database & SettlementTables;

/** Money binds as decimal text: better-sqlite3 refuses bigints past int64 and pg wants text for int8. */
export const text = (v: bigint): string => v.toString();
/** Multi-row statements stay well under SQLite's and PostgreSQL's bound-parameter limits. */
const ROWS_PER_STATEMENT = 500;

/** Column orders of the ledgers that write their SQL out (SQLite, PostgreSQL). */
export const COLUMNS = {
  line: [
    'id',
    'account_id',
    'api_key_id',
    'reservation_id',
    'request_id',
    'at',
    'model_id',
    'sku',
    'kind',
    'tokens',
    'price_per_mtok',
    'amount',
    'currency',
    'prompt_tokens',
    'completion_tokens',
    'execution_ms',
  ],
  daily: ['key_id', 'account_id', 'day', 'usd', 'diem'],
  perModel: ['account_id', 'api_key_id', 'day', 'model_id', 'kind', 'currency', 'amount', 'tokens', 'requests'],
} as const;

/** The upserts' conflict clauses, the same SQL on SQLite and PostgreSQL. */
export const ON_CONFLICT = {
  daily:
    ' on conflict (key_id, day) do update set usd = usage_daily.usd + excluded.usd, diem = usage_daily.diem + excluded.diem',
  perModel:
    ' on conflict (account_id, day, api_key_id, model_id, kind, currency) do update set ' +
    'amount = usage_daily_model.amount + excluded.amount, tokens = usage_daily_model.tokens + excluded.tokens, ' +
    'requests = usage_daily_model.requests + excluded.requests',
};

/** A value as it is bound: money (bigint) as decimal text, anything else as it is. */
export const bound = (v: unknown): unknown => (typeof v === 'bigint' ? v.toString() : v);

/** A row's values in `columns` order, money as decimal text. */
export function valuesOf<R extends object>(row: R, columns: readonly (keyof R)[]): unknown[] {
  return columns.map((c) => bound(row[c]));
}

export function chunks<T>(rows: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) out.push(rows.slice(i, i + ROWS_PER_STATEMENT));
  return out;
}

/** Sums rows that share a key (one upsert may not touch a row twice), in key order (no lock-order deadlocks). */
function aggregate<R>(rows: readonly R[], keyOf: (r: R) => string, merge: (into: R, r: R) => void): R[] {
  const byKey = new Map<string, R>();
  for (const r of rows) {
    const k = keyOf(r);
    const found = byKey.get(k);
    if (found) merge(found, r);
    else byKey.set(k, { ...r });
  }
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
}

/** The usage ledger over Kysely, the same code on SQLite and PostgreSQL. */
export class KyselyUsageLedger implements UsageLedger {
  private readonly db: Kysely<LedgerTables>;

  /** The store's handle, or one that knows the ledger tables already (tests that read them). */
  constructor(db: Kysely<Database> | Kysely<LedgerTables>) {
    this.db = (db as Kysely<Database>).withTables<SettlementTables>();
  }

  record(batch: readonly SettlementRecord[]): Promise<Charge[]> {
    if (batch.length === 0) return Promise.resolve([]);
    return this.db.transaction().execute(async (trx) => {
      // Idempotency first: only reservations this insert claims are written; the others keep what was recorded.
      const claimed = new Set<string>();
      for (const part of chunks(batch)) {
        const rows = await trx
          .insertInto('settled_reservations')
          .values(
            part.map((s) => ({
              reservation_id: s.reservationId,
              at: s.at,
              usd: text(s.charge.usd),
              diem: text(s.charge.diem),
            })),
          )
          .onConflict((oc) => oc.column('reservation_id').doNothing())
          .returning('reservation_id')
          .execute();
        for (const r of rows) claimed.add(r.reservation_id);
      }
      const fresh = batch.filter((s) => claimed.has(s.reservationId));
      const earlier = await this.recordedCharges(
        trx,
        batch.filter((s) => !claimed.has(s.reservationId)).map((s) => s.reservationId),
      );
      if (fresh.length > 0) await this.write(trx, fresh);
      return batch.map((s) => (claimed.has(s.reservationId) ? s.charge : (earlier.get(s.reservationId) ?? s.charge)));
    });
  }

  private async recordedCharges(trx: Transaction<LedgerTables>, ids: string[]): Promise<Map<string, Charge>> {
    const found = new Map<string, Charge>();
    for (const part of chunks(ids)) {
      const rows = await trx
        .selectFrom('settled_reservations')
        .select(['reservation_id', 'usd', 'diem'])
        .where('reservation_id', 'in', part)
        .execute();
      for (const r of rows) found.set(r.reservation_id, { usd: BigInt(r.usd), diem: BigInt(r.diem) });
    }
    return found;
  }

  private async write(trx: Transaction<LedgerTables>, batch: readonly SettlementRecord[]): Promise<void> {
    const { lines, daily, perModel, debits } = settlementRows(batch);
    for (const part of chunks(lines)) await trx.insertInto('usage_ledger').values(part).execute();
    for (const part of chunks(daily))
      await trx
        .insertInto('usage_daily')
        .values(part.map((r) => ({ ...r, usd: text(r.usd), diem: text(r.diem) })))
        .onConflict((oc) =>
          oc.columns(['key_id', 'day']).doUpdateSet({
            usd: sql`usage_daily.usd + excluded.usd`,
            diem: sql`usage_daily.diem + excluded.diem`,
          }),
        )
        .execute();
    for (const part of chunks(perModel))
      await trx
        .insertInto('usage_daily_model')
        .values(part.map((r) => ({ ...r, amount: text(r.amount), tokens: text(r.tokens) })))
        .onConflict((oc) =>
          oc.columns(['account_id', 'day', 'api_key_id', 'model_id', 'kind', 'currency']).doUpdateSet({
            amount: sql`usage_daily_model.amount + excluded.amount`,
            tokens: sql`usage_daily_model.tokens + excluded.tokens`,
            requests: sql`usage_daily_model.requests + excluded.requests`,
          }),
        )
        .execute();
    for (const d of debits)
      await trx
        .updateTable('accounts')
        .set({ usd_balance: sql`usd_balance - ${text(d.usd)}` })
        .where('id', '=', d.id)
        .execute();
  }

  async mirrorFacts(accountId: string, keyId: string, keyPeriodStart: number, day: number): Promise<MirrorFacts> {
    const account = await this.db
      .selectFrom('accounts')
      .select('usd_balance')
      .where('id', '=', accountId)
      .executeTakeFirst();
    const diem = await this.db
      .selectFrom('usage_daily')
      .select((eb) => eb.fn.sum<Int>('diem').as('diem'))
      .where('account_id', '=', accountId)
      .where('day', '=', day)
      .executeTakeFirst();
    const key = await this.db
      .selectFrom('usage_daily')
      .select([(eb) => eb.fn.sum<Int>('usd').as('usd'), (eb) => eb.fn.sum<Int>('diem').as('diem')])
      .where('account_id', '=', accountId)
      .where('key_id', '=', keyId)
      .where('day', '>=', keyPeriodStart)
      .executeTakeFirst();
    return {
      usdBalance: BigInt(account?.usd_balance ?? 0),
      diemSpentOnDay: BigInt(diem?.diem ?? 0),
      keySpent: { usd: BigInt(key?.usd ?? 0), diem: BigInt(key?.diem ?? 0) },
    };
  }
}

/**
 * What a batch of fresh settlements writes, whatever the database: one ledger line per entry, and the
 * daily, per-model and balance rows summed per row they touch (in key order).
 */
export function settlementRows(batch: readonly SettlementRecord[]) {
  const lines = batch.flatMap((s) => s.entries.map((e) => ledgerRow(s, e)));
  const daily = aggregate(
    batch.map((s) => ({
      key_id: s.apiKeyId,
      account_id: s.accountId,
      day: s.day,
      usd: s.charge.usd,
      diem: s.charge.diem,
    })),
    (r) => `${r.key_id}\u0000${r.day}`,
    (into, r) => {
      into.usd += r.usd;
      into.diem += r.diem;
    },
  );
  const perModel = aggregate(
    batch.flatMap((s) =>
      s.entries.map((e) => ({
        account_id: s.accountId,
        api_key_id: s.apiKeyId,
        day: s.day,
        model_id: s.modelId,
        kind: e.kind,
        currency: e.currency,
        amount: e.amount,
        tokens: e.tokens,
        requests: e.requests as number,
      })),
    ),
    (r) => [r.account_id, r.day, r.api_key_id, r.model_id, r.kind, r.currency].join('\u0000'),
    (into, r) => {
      into.amount += r.amount;
      into.tokens += r.tokens;
      into.requests += r.requests;
    },
  );
  const debits = aggregate(
    batch.filter((s) => s.charge.usd > 0n).map((s) => ({ id: s.accountId, usd: s.charge.usd })),
    (r) => r.id,
    (into, r) => {
      into.usd += r.usd;
    },
  );
  return { lines, daily, perModel, debits };
}

function ledgerRow(s: SettlementRecord, e: LedgerEntry): LedgerTables['usage_ledger'] {
  return {
    id: e.id,
    account_id: s.accountId,
    api_key_id: s.apiKeyId,
    reservation_id: s.reservationId,
    request_id: s.requestId,
    at: s.at,
    model_id: s.modelId,
    sku: e.sku,
    kind: e.kind,
    tokens: text(e.tokens),
    price_per_mtok: text(e.pricePerMTok),
    amount: text(e.amount),
    currency: e.currency,
    prompt_tokens: s.promptTokens,
    completion_tokens: s.completionTokens,
    execution_ms: s.executionMs,
  };
}
