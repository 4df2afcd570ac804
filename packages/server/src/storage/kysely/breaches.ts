import { type Kysely, sql } from 'kysely';
import type { Breach, RateLimitType } from '../../domain/model.js';
import type { BreachStore } from '../../domain/ports/breaches.js';
import { type Database, num } from './schema.js';

export class KyselyBreachStore implements BreachStore {
  constructor(private readonly db: Kysely<Database>) {}

  async recentBreaches(accountId: string, limit: number): Promise<Breach[]> {
    const rows = await this.db
      .selectFrom('rate_limit_breaches')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      accountId: r.account_id,
      apiKeyId: r.api_key_id,
      modelId: r.model_id,
      tier: r.tier,
      type: r.limit_type as RateLimitType,
      at: num(r.at),
    }));
  }

  async recordBreach(b: Breach): Promise<void> {
    await this.db
      .insertInto('rate_limit_breaches')
      .values({
        id: b.id,
        account_id: b.accountId,
        api_key_id: b.apiKeyId,
        model_id: b.modelId,
        tier: b.tier,
        limit_type: b.type,
        at: b.at,
      })
      .execute();
  }

  async pruneBreaches(keep: number): Promise<number> {
    // The same order as `recentBreaches` (newest first, ties by id), so the log keeps exactly what it shows.
    const r = await this.db
      .deleteFrom('rate_limit_breaches')
      .where(
        'id',
        'in',
        this.db
          .selectFrom(
            this.db
              .selectFrom('rate_limit_breaches')
              .select([
                'id',
                sql<number>`row_number() over (partition by account_id order by at desc, id desc)`.as('rank'),
              ])
              .as('ranked'),
          )
          .select('ranked.id')
          .where('ranked.rank', '>', keep),
      )
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
