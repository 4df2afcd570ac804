import type { Kysely, Selectable, Transaction } from 'kysely';
import type {
  Account,
  ApiKeyChanges,
  ApiKeyRecord,
  ApiKeyType,
  LimitPeriod,
  ModelPrivacy,
  NewApiKey,
} from '../../domain/model.js';
import type { KeyTx } from '../../domain/ports/keys.js';
import { toAccount } from './accounts.js';
import { precompile } from './precompile.js';
import { bigOrNull, bind, type Database, type Db, type HotRead, type Int, num, numOrNull } from './schema.js';

function toKey(r: Selectable<Database['api_keys']>): ApiKeyRecord {
  return {
    id: r.id,
    accountId: r.account_id,
    type: r.key_type as ApiKeyType,
    description: r.description,
    createdAt: num(r.created_at),
    expiresAt: numOrNull(r.expires_at),
    revokedAt: numOrNull(r.revoked_at),
    lastUsedAt: numOrNull(r.last_used_at),
    last6: r.last6,
    limitUsd: bigOrNull(r.limit_usd),
    limitDiem: bigOrNull(r.limit_diem),
    limitPeriod: r.limit_period as LimitPeriod,
    modelPrivacy: r.model_privacy as ModelPrivacy,
  };
}

const KEY_COLUMNS = [
  'api_keys.id',
  'api_keys.account_id',
  'api_keys.secret_digest',
  'api_keys.last6',
  'api_keys.key_type',
  'api_keys.description',
  'api_keys.created_at',
  'api_keys.expires_at',
  'api_keys.revoked_at',
  'api_keys.last_used_at',
  'api_keys.limit_usd',
  'api_keys.limit_diem',
  'api_keys.limit_period',
  'api_keys.model_privacy',
] as const;

function activeKeys(db: Db, accountId: string, now: number) {
  return db
    .selectFrom('api_keys')
    .where('account_id', '=', accountId)
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]));
}

/** The key reads outside a transaction: authentication and retrieve are the hot paths. */
export class KyselyKeyReads {
  private readonly hot;

  constructor(
    private readonly db: Kysely<Database>,
    run: HotRead,
  ) {
    this.hot = {
      keyByDigest: precompile(run, 1, (digest: string) =>
        db
          .selectFrom('api_keys')
          .innerJoin('accounts', 'accounts.id', 'api_keys.account_id')
          .select(KEY_COLUMNS)
          .select([
            'accounts.tier',
            'accounts.usd_balance',
            'accounts.diem_epoch_allocation',
            'accounts.wallet_address',
            'accounts.created_at as account_created_at',
            'accounts.disabled_at',
          ])
          .where('api_keys.secret_digest', '=', digest),
      ),
      key: precompile(run, 2, (accountId: string, id: string) =>
        db.selectFrom('api_keys').select(KEY_COLUMNS).where('id', '=', id).where('account_id', '=', accountId),
      ),
    };
  }

  async findKeyByDigest(digest: string): Promise<{ key: ApiKeyRecord; account: Account } | undefined> {
    const [r] = await this.hot.keyByDigest(digest);
    if (!r) return undefined;
    return {
      key: toKey(r),
      account: toAccount({
        id: r.account_id,
        tier: r.tier,
        usd_balance: r.usd_balance,
        diem_epoch_allocation: r.diem_epoch_allocation,
        wallet_address: r.wallet_address,
        created_at: r.account_created_at,
        disabled_at: r.disabled_at,
      }),
    };
  }

  async accountOfKey(id: string): Promise<string | undefined> {
    const r = await this.db
      .selectFrom('api_keys')
      .select('account_id')
      .where('id', '=', id.toLowerCase())
      .executeTakeFirst();
    return r?.account_id;
  }

  async getKey(accountId: string, id: string): Promise<ApiKeyRecord | undefined> {
    const [r] = await this.hot.key(accountId, id);
    return r && toKey(r);
  }

  async listActiveKeys(
    accountId: string,
    now: number,
    page?: { offset: number; limit: number },
  ): Promise<ApiKeyRecord[]> {
    let q = activeKeys(this.db, accountId, now).select(KEY_COLUMNS).orderBy('created_at', 'desc').orderBy('id', 'desc');
    if (page) q = q.limit(page.limit).offset(page.offset);
    return (await q.execute()).map(toKey);
  }

  async touchKey(id: string, at: number): Promise<void> {
    await this.db.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute();
  }
}

/** One account's keys inside its transaction. */
export function keyTx(trx: Transaction<Database>, accountId: string): KeyTx {
  return {
    async getKey(id) {
      const r = await trx
        .selectFrom('api_keys')
        .select(KEY_COLUMNS)
        .where('id', '=', id)
        .where('account_id', '=', accountId)
        .executeTakeFirst();
      return r && toKey(r);
    },

    async countActiveKeys(now) {
      const r = await activeKeys(trx, accountId, now)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      return num(r.n as Int);
    },

    async otherActiveAdminKeys(now, exceptId) {
      const rows = await activeKeys(trx, accountId, now)
        .select(KEY_COLUMNS)
        .where('key_type', '=', 'ADMIN')
        .where('id', '!=', exceptId)
        .execute();
      return rows.map(toKey);
    },

    async keysCreatedSince(since) {
      const rows = await trx
        .selectFrom('api_keys')
        .select('created_at')
        .where('account_id', '=', accountId)
        .where('created_at', '>=', since)
        .orderBy('created_at')
        .execute();
      return rows.map((r) => num(r.created_at));
    },

    async insertKey(k: NewApiKey) {
      await trx
        .insertInto('api_keys')
        .values({
          id: k.id,
          account_id: k.accountId,
          secret_digest: k.secretDigest,
          last6: k.last6,
          key_type: k.type,
          description: k.description,
          created_at: k.createdAt,
          expires_at: k.expiresAt,
          revoked_at: null,
          last_used_at: null,
          limit_usd: bind(k.limitUsd),
          limit_diem: bind(k.limitDiem),
          limit_period: k.limitPeriod,
          model_privacy: k.modelPrivacy,
        })
        .execute();
    },

    async updateKey(id, c: ApiKeyChanges) {
      // One UPDATE of only the columns sent, so that concurrent PATCHes of different fields never undo each other.
      const set: Partial<Database['api_keys']> = {};
      if (c.description !== undefined) set.description = c.description;
      if (c.expiresAt !== undefined) set.expires_at = c.expiresAt;
      if (c.limitUsd !== undefined) set.limit_usd = bind(c.limitUsd);
      if (c.limitDiem !== undefined) set.limit_diem = bind(c.limitDiem);
      if (c.limitPeriod !== undefined) set.limit_period = c.limitPeriod;
      if (c.modelPrivacy !== undefined) set.model_privacy = c.modelPrivacy;
      if (Object.keys(set).length === 0) return;
      await trx.updateTable('api_keys').set(set).where('id', '=', id).where('account_id', '=', accountId).execute();
    },

    async revokeKey(id, at) {
      await trx
        .updateTable('api_keys')
        .set({ revoked_at: at })
        .where('id', '=', id)
        .where('account_id', '=', accountId)
        .execute();
    },
  };
}
