import { type Kysely, sql } from 'kysely';
import type { LedgerCurrency, LedgerKind } from '../domain/ports/ledger.js';
import type { KeyLabel, LedgerPageQuery, UsageEntry, UsageReader, UsageSummary } from '../domain/usage/ports.js';
import type { Database, Int } from './kysely/schema.js';
import type { LedgerTables } from './ledger-store.js';

/** The ledger tables this adapter reads, as settlement writes them (migration 0003_ledger). */
export type LedgerReadTables = Pick<LedgerTables, 'usage_ledger' | 'usage_daily_model'>;

/** SQLite and PostgreSQL alike: only portable SQL (row values compare on both). */
export class KyselyUsageReader implements UsageReader {
  private readonly db: Kysely<Database & LedgerReadTables>;

  constructor(db: Kysely<Database>) {
    this.db = db.withTables<LedgerReadTables>();
  }

  async ledgerPage(q: LedgerPageQuery): Promise<UsageEntry[]> {
    let query = this.db
      .selectFrom('usage_ledger')
      .selectAll()
      .where('account_id', '=', q.accountId)
      .where('at', '<=', q.asOf);
    if (q.currency !== undefined) query = query.where('currency', '=', q.currency);
    if (q.startAt !== undefined) query = query.where('at', '>=', q.startAt);
    if (q.endAt !== undefined) query = query.where('at', '<', q.endAt);
    if (q.after) query = query.where(sql<boolean>`(at, id) > (${q.after.at}, ${q.after.id})`);
    const rows = await query.orderBy('at').orderBy('id').limit(q.limit).execute();
    return rows.map((r) => ({
      id: r.id,
      apiKeyId: r.api_key_id,
      requestId: r.request_id,
      at: Number(r.at),
      modelId: r.model_id,
      sku: r.sku,
      kind: r.kind as LedgerKind,
      tokens: BigInt(r.tokens),
      pricePerMTok: BigInt(r.price_per_mtok),
      amount: BigInt(r.amount),
      currency: r.currency as LedgerCurrency,
      promptTokens: Number(r.prompt_tokens),
      completionTokens: Number(r.completion_tokens),
      executionMs: Number(r.execution_ms),
    }));
  }

  async usageSummary(accountId: string, fromDay: number, toDay: number, apiKeyId?: string): Promise<UsageSummary> {
    const range = () => {
      const q = this.db
        .selectFrom('usage_daily_model')
        .select((eb) => [
          eb.fn.sum<Int>(eb.case().when('currency', '=', 'USD').then(eb.ref('amount')).else(0).end()).as('usd'),
          eb.fn.sum<Int>(eb.case().when('currency', '=', 'DIEM').then(eb.ref('amount')).else(0).end()).as('diem'),
          eb.fn.sum<Int>('tokens').as('tokens'),
        ])
        .where('account_id', '=', accountId)
        .where('day', '>=', fromDay)
        .where('day', '<=', toDay);
      return apiKeyId === undefined ? q : q.where('api_key_id', '=', apiKeyId);
    };
    const sums = (r: { usd: Int; diem: Int; tokens: Int }) => ({
      usd: BigInt(r.usd),
      diem: BigInt(r.diem),
      tokens: BigInt(r.tokens),
    });
    // Two grouped reads rather than every aggregate row: the database sums, few rows are decoded; the
    // currencies as columns keep the per-key read in the primary key's order, so it needs no sort.
    const [byDayModel, byDayKey] = await Promise.all([
      range().select(['day', 'model_id', 'kind']).groupBy(['day', 'model_id', 'kind']).execute(),
      range().select(['day', 'api_key_id']).groupBy(['day', 'api_key_id']).execute(),
    ]);
    return {
      byDayModel: byDayModel.map((r) => ({
        day: Number(r.day),
        modelId: r.model_id,
        kind: r.kind as LedgerKind,
        ...sums(r),
      })),
      byDayKey: byDayKey.map((r) => ({ day: Number(r.day), apiKeyId: r.api_key_id, ...sums(r) })),
    };
  }

  async keyLabels(accountId: string, keyIds: readonly string[]): Promise<KeyLabel[]> {
    if (keyIds.length === 0) return [];
    return this.db
      .selectFrom('api_keys')
      .select(['id', 'description', 'last6'])
      .where('account_id', '=', accountId)
      .where('id', 'in', keyIds)
      .execute();
  }

  async pruneLedger(before: number, limit: number): Promise<number> {
    // A bounded subquery: both engines delete a batch this way (neither takes DELETE … LIMIT portably).
    const result = await this.db
      .deleteFrom('usage_ledger')
      .where('id', 'in', (eb) => eb.selectFrom('usage_ledger').select('id').where('at', '<', before).limit(limit))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
