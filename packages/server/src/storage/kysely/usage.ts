import { type Kysely, sql } from 'kysely';
import type { Spend } from '../../domain/model.js';
import type { UsageStore } from '../../domain/ports/usage.js';
import { precompile } from './precompile.js';
import { bind, type Database, type HotRead, type Int } from './schema.js';

function sumSpend(rows: { usd: Int | null; diem: Int | null } | undefined): Spend {
  return { usd: BigInt(rows?.usd ?? 0), diem: BigInt(rows?.diem ?? 0) };
}

export class KyselyUsageStore implements UsageStore {
  private readonly spendOfKey;

  constructor(
    private readonly db: Kysely<Database>,
    run: HotRead,
  ) {
    this.spendOfKey = precompile(run, 3, (accountId: string, fromDay: number, keyId: string) =>
      db
        .selectFrom('usage_daily')
        .select([(eb) => eb.fn.sum<Int>('usd').as('usd'), (eb) => eb.fn.sum<Int>('diem').as('diem')])
        .where('account_id', '=', accountId)
        .where('key_id', '=', keyId)
        .where('day', '>=', fromDay),
    );
  }

  async spendByKey(accountId: string, fromDay: number, keyIds?: readonly string[]): Promise<Map<string, Spend>> {
    if (keyIds?.length === 1) {
      const [r] = await this.spendOfKey(accountId, fromDay, keyIds[0] as string);
      return r?.usd === null || r === undefined ? new Map() : new Map([[keyIds[0] as string, sumSpend(r)]]);
    }
    let q = this.db
      .selectFrom('usage_daily')
      .select(['key_id', (eb) => eb.fn.sum<Int>('usd').as('usd'), (eb) => eb.fn.sum<Int>('diem').as('diem')])
      .where('account_id', '=', accountId)
      .where('day', '>=', fromDay)
      .groupBy('key_id');
    if (keyIds) {
      if (keyIds.length === 0) return new Map();
      q = q.where('key_id', 'in', keyIds);
    }
    const rows = await q.execute();
    return new Map(rows.map((r) => [r.key_id, sumSpend(r)]));
  }

  async recordSpend(accountId: string, keyId: string, day: number, spend: Spend): Promise<void> {
    await this.db
      .insertInto('usage_daily')
      .values({
        key_id: keyId,
        account_id: accountId,
        day,
        usd: bind(spend.usd) as string,
        diem: bind(spend.diem) as string,
      })
      .onConflict((oc) =>
        oc.columns(['key_id', 'day']).doUpdateSet({
          usd: sql`usage_daily.usd + excluded.usd`,
          diem: sql`usage_daily.diem + excluded.diem`,
        }),
      )
      .execute();
  }

  async accountSpend(accountId: string, fromDay: number): Promise<Spend> {
    const r = await this.db
      .selectFrom('usage_daily')
      .select([(eb) => eb.fn.sum<Int>('usd').as('usd'), (eb) => eb.fn.sum<Int>('diem').as('diem')])
      .where('account_id', '=', accountId)
      .where('day', '>=', fromDay)
      .executeTakeFirst();
    return sumSpend(r);
  }
}
