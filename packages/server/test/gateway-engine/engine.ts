import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, expect } from 'vitest';
import type { CatalogModel } from '../../src/domain/catalog.js';
import type { Clock } from '../../src/domain/clock.js';
import { GatewayService, type InferenceDemand } from '../../src/domain/gateway/admission.js';
import type { Account, ApiKeyRecord } from '../../src/domain/model.js';
import type { Reservations } from '../../src/domain/ports/reservations.js';
import { newId } from '../../src/domain/secrets.js';
import { formatMicros } from '../../src/http/format.js';
import type { LedgerTables } from '../../src/storage/ledger-store.js';
import type { Store } from '../../src/storage/types.js';
import type { ManualClock } from '../support/clock.js';
import type { ReservationsFactory } from '../support/reservations.js';
import { POSTGRES_URL, type StoreFactory } from '../support/stores.js';

export const T0 = Date.UTC(2026, 0, 15, 12, 0, 30);

/** A model priced so that the money bound equals the real cost when usage equals the bounds. */
export const MODEL: CatalogModel = {
  id: 'test-model',
  upstreamModel: 'test-model',
  type: 'text',
  privacy: 'private',
  pricing: { inputPerMTok: 1_000_000n, outputPerMTok: 2_000_000n },
  contextTokens: 32_768,
  maxCompletionTokens: 4_096,
  rateLimits: { paid: { RPM: 1_000_000, RPD: 10_000_000, TPM: 1_000_000_000 } },
};

export const silentLog = { warn: () => {}, error: () => {} };

/** Settlement problems are logged, not thrown: tests collect them and expect none. */
export const problems: string[] = [];
export const testLog = {
  warn: () => {},
  error: (detail: object, message: string) => problems.push(`${message} ${JSON.stringify(detail)}`),
};

/** A second Kysely handle on the store's database, for the ledger and for reading tables in assertions. */
export function ledgerDb(opened: { path?: string; schema?: string }): Kysely<LedgerTables> {
  if (opened.path) {
    const raw = new BetterSqlite3(opened.path);
    raw.pragma('busy_timeout = 5000');
    raw.defaultSafeIntegers(true);
    return new Kysely<LedgerTables>({ dialect: new SqliteDialect({ database: raw }) });
  }
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 10, options: `-c search_path=${opened.schema}` });
  return new Kysely<LedgerTables>({ dialect: new PostgresDialect({ pool }) });
}

export interface Engine {
  store: Store;
  db: Kysely<LedgerTables>;
  gateway(reservations: Reservations, clock: Clock): GatewayService;
  account(over?: Partial<Account>): Promise<Account>;
  dispose(): Promise<void>;
}

export async function openEngine(factory: StoreFactory): Promise<Engine> {
  const opened = await factory.open();
  const db = ledgerDb(opened);
  return {
    store: opened.store,
    db,
    gateway: (reservations, clock) =>
      new GatewayService(
        reservations,
        opened.store.ledger,
        opened.store,
        clock,
        { upstreamTimeoutMs: 60_000, balanceText: (m) => formatMicros(m - (m % 100n), 4) },
        testLog,
      ),
    async account(over = {}) {
      const account: Account = {
        id: newId(),
        tier: 'paid',
        usdBalance: 1_000_000n,
        diemEpochAllocation: 0n,
        walletAddress: null,
        createdAt: T0,
        disabledAt: null,
        ...over,
      };
      await opened.store.createAccount(account);
      return account;
    },
    async dispose() {
      await db.destroy();
      await opened.dispose();
    },
  };
}

export function keyOf(account: Account, over: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    id: newId(),
    accountId: account.id,
    type: 'INFERENCE',
    description: 'k',
    createdAt: T0,
    expiresAt: null,
    revokedAt: null,
    lastUsedAt: null,
    last6: 'abcdef',
    limitUsd: null,
    limitDiem: null,
    limitPeriod: 'EPOCH',
    modelPrivacy: 'ALL',
    ...over,
  };
}

/** 100 prompt + 50 output tokens at the test prices: 100 + 100 = 200 micro-units. */
export function demand(key: ApiKeyRecord, account: Account, over: Partial<InferenceDemand> = {}): InferenceDemand {
  return {
    key,
    account,
    model: MODEL,
    requestId: newId(),
    promptTokensUpper: 100,
    promptTokensEstimate: 100,
    outputTokensUpper: 50,
    ...over,
  };
}

export async function sums(db: Kysely<LedgerTables>, accountId: string) {
  const ledger = await db
    .selectFrom('usage_ledger')
    .select(['currency', (eb) => eb.fn.sum<string>('amount').as('amount'), (eb) => eb.fn.countAll<string>().as('n')])
    .where('account_id', '=', accountId)
    .groupBy('currency')
    .execute();
  const daily = await db
    .selectFrom('usage_daily')
    .select([(eb) => eb.fn.sum<string>('usd').as('usd'), (eb) => eb.fn.sum<string>('diem').as('diem')])
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  const settled = await sql<{ n: string }>`select count(*) as n from settled_reservations`.execute(db);
  const balance = await db.selectFrom('accounts').select('usd_balance').where('id', '=', accountId).executeTakeFirst();
  const byCurrency = Object.fromEntries(ledger.map((r) => [r.currency, BigInt(r.amount)]));
  return {
    ledgerUsd: byCurrency.USD ?? 0n,
    ledgerDiem: byCurrency.DIEM ?? 0n,
    dailyUsd: BigInt(daily?.usd ?? 0),
    dailyDiem: BigInt(daily?.diem ?? 0),
    settled: Number(settled.rows[0]?.n ?? 0),
    balance: BigInt(balance?.usd_balance ?? 0),
  };
}

/**
 * A suite's engine and gateway over one store and one reservations adapter, opened before its tests and
 * closed after them; the suite fails if any settlement reported a problem.
 */
export function useGateway(store: StoreFactory, counters: ReservationsFactory, clock: ManualClock) {
  const ctx = {} as { engine: Engine; reservations: Reservations; gateway: GatewayService };
  beforeAll(async () => {
    ctx.engine = await openEngine(store);
    ctx.reservations = await counters.open();
    ctx.gateway = ctx.engine.gateway(ctx.reservations, clock);
  });
  afterAll(async () => {
    expect(problems).toEqual([]);
    await ctx.reservations?.close();
    await ctx.engine?.dispose();
  });
  return ctx;
}
