import { type Compilable, type CompiledQuery, type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type {
  Account,
  ApiKeyChanges,
  ApiKeyRecord,
  ApiKeyType,
  Breach,
  IdempotencyRecord,
  LimitPeriod,
  ModelPrivacy,
  NewApiKey,
  RateLimitType,
  Spend,
} from '../domain/model.js';
import type { AccountTx, Store } from './types.js';

/** Integers arrive as bigint (SQLite with safe integers), string (pg int8) or number: normalise here. */
type Int = number | bigint | string;

export interface Database {
  accounts: {
    id: string;
    tier: string;
    usd_balance: Int;
    diem_epoch_allocation: Int;
    wallet_address: string | null;
    created_at: Int;
  };
  api_keys: {
    id: string;
    account_id: string;
    secret_digest: string;
    last6: string;
    key_type: string;
    description: string;
    created_at: Int;
    expires_at: Int | null;
    revoked_at: Int | null;
    last_used_at: Int | null;
    limit_usd: Int | null;
    limit_diem: Int | null;
    limit_period: string;
    model_privacy: string;
  };
  usage_daily: { key_id: string; account_id: string; day: Int; usd: Int; diem: Int };
  idempotency: {
    account_id: string;
    key_digest: string;
    request_hash: string;
    sealed_response: string;
    created_at: Int;
    expires_at: Int;
  };
  web3_tokens_used: { jti: string; used_at: Int; expires_at: Int };
  rate_limit_breaches: {
    id: string;
    account_id: string;
    api_key_id: string;
    model_id: string;
    tier: string;
    limit_type: string;
    at: Int;
  };
  settings: { name: string; value: string };
}

const num = (v: Int): number => Number(v);
const numOrNull = (v: Int | null): number | null => (v === null ? null : Number(v));
const big = (v: Int): bigint => BigInt(v);
const bigOrNull = (v: Int | null): bigint | null => (v === null ? null : BigInt(v));
/** better-sqlite3 refuses bigints beyond int64 and pg wants text for int8: bind money as decimal text. */
const bind = (v: bigint | null): string | null => (v === null ? null : v.toString());

function toAccount(r: Selectable<Database['accounts']>): Account {
  return {
    id: r.id,
    tier: r.tier,
    usdBalance: big(r.usd_balance),
    diemEpochAllocation: big(r.diem_epoch_allocation),
    walletAddress: r.wallet_address,
    createdAt: num(r.created_at),
  };
}

function accountRow(a: Account): Database['accounts'] {
  return {
    id: a.id,
    tier: a.tier,
    usd_balance: bind(a.usdBalance) as string,
    diem_epoch_allocation: bind(a.diemEpochAllocation) as string,
    wallet_address: a.walletAddress,
    created_at: a.createdAt,
  };
}

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

type Db = Kysely<Database> | Transaction<Database>;

function activeKeys(db: Db, accountId: string, now: number) {
  return db
    .selectFrom('api_keys')
    .where('account_id', '=', accountId)
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]));
}

function sumSpend(rows: { usd: Int | null; diem: Int | null } | undefined): Spend {
  return { usd: BigInt(rows?.usd ?? 0), diem: BigInt(rows?.diem ?? 0) };
}

/**
 * A query built and compiled once and then run with new parameters: on the hot paths
 * (authentication, retrieve) building a Kysely query costs more than running it. The builder runs
 * once with placeholder values; their positions in the compiled parameters are filled per call.
 */
function precompile<A extends unknown[], R>(
  run: (query: CompiledQuery<R>) => Promise<R[]>,
  arity: number,
  build: (...args: A) => Compilable<R>,
) {
  const marks = Array.from({ length: arity }, (_, i) => `\u0000param-${i}`);
  const compiled = build(...(marks as A)).compile();
  const slots = compiled.parameters.map((p) => marks.indexOf(p as string));
  if (slots.includes(-1) || new Set(slots).size !== arity) throw new Error(`cannot precompile: ${compiled.sql}`);
  return (...args: A): Promise<R[]> => run({ ...compiled, parameters: slots.map((s) => args[s]) });
}

/**
 * The store over Kysely, shared by both engines. The engines differ only in how an account is
 * locked (`lockAccount`), which the adapters supply.
 */
export abstract class KyselyStore implements Store {
  abstract readonly kind: 'sqlite' | 'postgres';

  private readonly hot;

  constructor(protected readonly db: Kysely<Database>) {
    const run = <R>(query: CompiledQuery<R>) => this.runHotRead(query);
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
          ])
          .where('api_keys.secret_digest', '=', digest),
      ),
      key: precompile(run, 2, (accountId: string, id: string) =>
        db.selectFrom('api_keys').select(KEY_COLUMNS).where('id', '=', id).where('account_id', '=', accountId),
      ),
      spendOfKey: precompile(run, 3, (accountId: string, fromDay: number, keyId: string) =>
        db
          .selectFrom('usage_daily')
          .select([(eb) => eb.fn.sum<Int>('usd').as('usd'), (eb) => eb.fn.sum<Int>('diem').as('diem')])
          .where('account_id', '=', accountId)
          .where('key_id', '=', keyId)
          .where('day', '>=', fromDay),
      ),
    };
  }

  /** Runs one of the precompiled reads of the hot paths; adapters may take a faster road. */
  protected async runHotRead<R>(query: CompiledQuery<R>): Promise<R[]> {
    return (await this.db.executeQuery<R>(query)).rows as R[];
  }

  /** Serialises `inAccount` work for one account. */
  protected abstract lockAccount(tx: Transaction<Database>, accountId: string): Promise<void>;

  async createAccount(a: Account): Promise<void> {
    await this.db.insertInto('accounts').values(accountRow(a)).execute();
  }

  async getAccount(id: string): Promise<Account | undefined> {
    const r = await this.db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toAccount(r);
  }

  async listAccounts(): Promise<Account[]> {
    const rows = await this.db.selectFrom('accounts').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map(toAccount);
  }

  async countAccounts(): Promise<number> {
    const r = await this.db
      .selectFrom('accounts')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    return num(r.n as Int);
  }

  async accountForWallet(candidate: Account): Promise<Account> {
    // Two first mints of one wallet race here: the unique wallet column lets exactly one insert win.
    await this.db
      .insertInto('accounts')
      .values(accountRow(candidate))
      .onConflict((oc) => oc.column('wallet_address').doNothing())
      .execute();
    const r = await this.db
      .selectFrom('accounts')
      .selectAll()
      .where('wallet_address', '=', candidate.walletAddress)
      .executeTakeFirstOrThrow();
    return toAccount(r);
  }

  async creditUsd(accountId: string, micros: bigint): Promise<Account | undefined> {
    await this.db
      .updateTable('accounts')
      .set({ usd_balance: sql`usd_balance + ${bind(micros)}` })
      .where('id', '=', accountId)
      .execute();
    return this.getAccount(accountId);
  }

  async updateAccount(
    accountId: string,
    changes: { tier?: string; diemEpochAllocation?: bigint },
  ): Promise<Account | undefined> {
    const set: Partial<Database['accounts']> = {};
    if (changes.tier !== undefined) set.tier = changes.tier;
    if (changes.diemEpochAllocation !== undefined)
      set.diem_epoch_allocation = bind(changes.diemEpochAllocation) as string;
    if (Object.keys(set).length > 0)
      await this.db.updateTable('accounts').set(set).where('id', '=', accountId).execute();
    return this.getAccount(accountId);
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
      }),
    };
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

  async spendByKey(accountId: string, fromDay: number, keyIds?: readonly string[]): Promise<Map<string, Spend>> {
    if (keyIds?.length === 1) {
      const [r] = await this.hot.spendOfKey(accountId, fromDay, keyIds[0] as string);
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

  async isWeb3TokenUsed(jti: string): Promise<boolean> {
    const r = await this.db.selectFrom('web3_tokens_used').select('jti').where('jti', '=', jti).executeTakeFirst();
    return r !== undefined;
  }

  inAccount<T>(accountId: string, work: (tx: AccountTx) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(async (trx) => {
      await this.lockAccount(trx, accountId);
      return work(new KyselyAccountTx(trx, accountId));
    });
  }

  async getSetting(name: string): Promise<string | undefined> {
    const r = await this.db.selectFrom('settings').select('value').where('name', '=', name).executeTakeFirst();
    return r?.value;
  }

  async initSetting(name: string, value: string): Promise<string> {
    await this.db
      .insertInto('settings')
      .values({ name, value })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    return (await this.getSetting(name)) as string;
  }

  async deleteSetting(name: string): Promise<void> {
    await this.db.deleteFrom('settings').where('name', '=', name).execute();
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

class KyselyAccountTx implements AccountTx {
  constructor(
    private readonly trx: Transaction<Database>,
    private readonly accountId: string,
  ) {}

  async getKey(id: string): Promise<ApiKeyRecord | undefined> {
    const r = await this.trx
      .selectFrom('api_keys')
      .select(KEY_COLUMNS)
      .where('id', '=', id)
      .where('account_id', '=', this.accountId)
      .executeTakeFirst();
    return r && toKey(r);
  }

  async countActiveKeys(now: number): Promise<number> {
    const r = await activeKeys(this.trx, this.accountId, now)
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    return num(r.n as Int);
  }

  async otherActiveAdminKeys(now: number, exceptId: string): Promise<ApiKeyRecord[]> {
    const rows = await activeKeys(this.trx, this.accountId, now)
      .select(KEY_COLUMNS)
      .where('key_type', '=', 'ADMIN')
      .where('id', '!=', exceptId)
      .execute();
    return rows.map(toKey);
  }

  async keysCreatedSince(since: number): Promise<number[]> {
    const rows = await this.trx
      .selectFrom('api_keys')
      .select('created_at')
      .where('account_id', '=', this.accountId)
      .where('created_at', '>=', since)
      .orderBy('created_at')
      .execute();
    return rows.map((r) => num(r.created_at));
  }

  async insertKey(k: NewApiKey): Promise<void> {
    await this.trx
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
  }

  async updateKey(id: string, c: ApiKeyChanges): Promise<void> {
    // One UPDATE of only the columns sent, so that concurrent PATCHes of different fields never undo each other.
    const set: Partial<Database['api_keys']> = {};
    if (c.description !== undefined) set.description = c.description;
    if (c.expiresAt !== undefined) set.expires_at = c.expiresAt;
    if (c.limitUsd !== undefined) set.limit_usd = bind(c.limitUsd);
    if (c.limitDiem !== undefined) set.limit_diem = bind(c.limitDiem);
    if (c.limitPeriod !== undefined) set.limit_period = c.limitPeriod;
    if (c.modelPrivacy !== undefined) set.model_privacy = c.modelPrivacy;
    if (Object.keys(set).length === 0) return;
    await this.trx
      .updateTable('api_keys')
      .set(set)
      .where('id', '=', id)
      .where('account_id', '=', this.accountId)
      .execute();
  }

  async revokeKey(id: string, at: number): Promise<void> {
    await this.trx
      .updateTable('api_keys')
      .set({ revoked_at: at })
      .where('id', '=', id)
      .where('account_id', '=', this.accountId)
      .execute();
  }

  async getIdempotency(keyDigest: string): Promise<IdempotencyRecord | undefined> {
    const r = await this.trx
      .selectFrom('idempotency')
      .selectAll()
      .where('account_id', '=', this.accountId)
      .where('key_digest', '=', keyDigest)
      .executeTakeFirst();
    return (
      r && {
        keyDigest: r.key_digest,
        requestHash: r.request_hash,
        sealedResponse: r.sealed_response,
        createdAt: num(r.created_at),
        expiresAt: num(r.expires_at),
      }
    );
  }

  async deleteIdempotency(keyDigest: string): Promise<void> {
    await this.trx
      .deleteFrom('idempotency')
      .where('account_id', '=', this.accountId)
      .where('key_digest', '=', keyDigest)
      .execute();
  }

  async putIdempotency(r: IdempotencyRecord): Promise<void> {
    await this.trx
      .insertInto('idempotency')
      .values({
        account_id: this.accountId,
        key_digest: r.keyDigest,
        request_hash: r.requestHash,
        sealed_response: r.sealedResponse,
        created_at: r.createdAt,
        expires_at: r.expiresAt,
      })
      .execute();
  }

  async useWeb3Token(jti: string, at: number, expiresAt: number): Promise<boolean> {
    const inserted = await this.trx
      .insertInto('web3_tokens_used')
      .values({ jti, used_at: at, expires_at: expiresAt })
      .onConflict((oc) => oc.column('jti').doNothing())
      .returning('jti')
      .executeTakeFirst();
    return inserted !== undefined;
  }
}
