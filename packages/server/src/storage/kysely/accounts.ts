import { type Kysely, type Selectable, sql } from 'kysely';
import type { Account } from '../../domain/model.js';
import type { AccountStore } from '../../domain/ports/accounts.js';
import { big, bind, type Database, type Int, num } from './schema.js';

export function toAccount(r: Selectable<Database['accounts']>): Account {
  return {
    id: r.id,
    tier: r.tier,
    usdBalance: big(r.usd_balance),
    diemEpochAllocation: big(r.diem_epoch_allocation),
    walletAddress: r.wallet_address,
    createdAt: num(r.created_at),
    disabledAt: r.disabled_at === null ? null : num(r.disabled_at),
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
    disabled_at: a.disabledAt,
  };
}

export class KyselyAccountStore implements AccountStore {
  constructor(private readonly db: Kysely<Database>) {}

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

  async debitUsd(accountId: string, micros: bigint): Promise<{ account: Account; debited: boolean } | undefined> {
    const r = await this.db
      .updateTable('accounts')
      .set({ usd_balance: sql`usd_balance - ${bind(micros)}` })
      .where('id', '=', accountId)
      .where(sql<boolean>`usd_balance >= ${bind(micros)}`)
      .executeTakeFirst();
    const account = await this.getAccount(accountId);
    return account && { account, debited: r.numUpdatedRows > 0n };
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

  async setDisabled(accountId: string, disabledAt: number | null): Promise<Account | undefined> {
    // Disabling twice keeps the first time: the record says since when the account has been stopped.
    await this.db
      .updateTable('accounts')
      .set({ disabled_at: disabledAt === null ? null : sql`coalesce(disabled_at, ${disabledAt})` })
      .where('id', '=', accountId)
      .execute();
    return this.getAccount(accountId);
  }
}
