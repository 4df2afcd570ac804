import type { CompiledQuery, Kysely, Transaction } from 'kysely';
import type { Account, ApiKeyRecord, Breach, Spend } from '../../domain/model.js';
import type { AccountTx } from '../../domain/ports/keys.js';
import type { LedgerPageQuery } from '../../domain/usage/ports.js';
import { KyselyUsageLedger } from '../ledger-store.js';
import type { Store } from '../types.js';
import { KyselyUsageReader } from '../usage-read.js';
import { KyselyAccountStore } from './accounts.js';
import { KyselyBreachStore } from './breaches.js';
import { idempotencyTx, pruneIdempotency } from './idempotency.js';
import { KyselyKeyReads, keyTx } from './keys.js';
import type { Database } from './schema.js';
import { KyselySettingsStore } from './settings.js';
import { KyselyUsageStore } from './usage.js';
import { KyselyWeb3TokenStore, web3TokenTx } from './web3-tokens.js';

/**
 * The store over Kysely, shared by both engines: one adapter per aggregate behind the one `Store`.
 * The engines differ only in how an account is locked (`lockAccount`) and how hot reads run.
 */
export abstract class KyselyStore implements Store {
  abstract readonly kind: 'sqlite' | 'postgres';

  private readonly accounts: KyselyAccountStore;
  private readonly keys: KyselyKeyReads;
  private readonly usage: KyselyUsageStore;
  private readonly usageReads: KyselyUsageReader;
  private readonly breaches: KyselyBreachStore;
  private readonly web3Tokens: KyselyWeb3TokenStore;
  private readonly settings: KyselySettingsStore;
  readonly ledger: KyselyUsageLedger;

  constructor(protected readonly db: Kysely<Database>) {
    const run = <R>(query: CompiledQuery<R>) => this.runHotRead(query);
    this.accounts = new KyselyAccountStore(db);
    this.keys = new KyselyKeyReads(db, run);
    this.usage = new KyselyUsageStore(db, run);
    this.usageReads = new KyselyUsageReader(db);
    this.breaches = new KyselyBreachStore(db);
    this.web3Tokens = new KyselyWeb3TokenStore(db);
    this.settings = new KyselySettingsStore(db);
    this.ledger = new KyselyUsageLedger(db);
  }

  /** Runs one of the precompiled reads of the hot paths; adapters may take a faster road. */
  protected async runHotRead<R>(query: CompiledQuery<R>): Promise<R[]> {
    return (await this.db.executeQuery<R>(query)).rows as R[];
  }

  /** Serialises `inAccount` work for one account. */
  protected abstract lockAccount(tx: Transaction<Database>, accountId: string): Promise<void>;

  inAccount<T>(accountId: string, work: (tx: AccountTx) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(async (trx) => {
      await this.lockAccount(trx, accountId);
      return work({ ...keyTx(trx, accountId), ...idempotencyTx(trx, accountId), ...web3TokenTx(trx) });
    });
  }

  createAccount(a: Account) {
    return this.accounts.createAccount(a);
  }
  getAccount(id: string) {
    return this.accounts.getAccount(id);
  }
  listAccounts() {
    return this.accounts.listAccounts();
  }
  countAccounts() {
    return this.accounts.countAccounts();
  }
  accountForWallet(candidate: Account) {
    return this.accounts.accountForWallet(candidate);
  }
  creditUsd(accountId: string, micros: bigint) {
    return this.accounts.creditUsd(accountId, micros);
  }
  debitUsd(accountId: string, micros: bigint) {
    return this.accounts.debitUsd(accountId, micros);
  }
  updateAccount(accountId: string, changes: { tier?: string; diemEpochAllocation?: bigint }) {
    return this.accounts.updateAccount(accountId, changes);
  }
  setDisabled(accountId: string, disabledAt: number | null) {
    return this.accounts.setDisabled(accountId, disabledAt);
  }

  findKeyByDigest(digest: string) {
    return this.keys.findKeyByDigest(digest);
  }
  pruneIdempotency(now: number) {
    return pruneIdempotency(this.db, now);
  }
  accountOfKey(id: string) {
    return this.keys.accountOfKey(id);
  }
  getKey(accountId: string, id: string): Promise<ApiKeyRecord | undefined> {
    return this.keys.getKey(accountId, id);
  }
  listActiveKeys(accountId: string, now: number, page?: { offset: number; limit: number }) {
    return this.keys.listActiveKeys(accountId, now, page);
  }
  touchKey(id: string, at: number) {
    return this.keys.touchKey(id, at);
  }

  spendByKey(accountId: string, fromDay: number, keyIds?: readonly string[]) {
    return this.usage.spendByKey(accountId, fromDay, keyIds);
  }
  recordSpend(accountId: string, keyId: string, day: number, spend: Spend) {
    return this.usage.recordSpend(accountId, keyId, day, spend);
  }
  accountSpend(accountId: string, fromDay: number) {
    return this.usage.accountSpend(accountId, fromDay);
  }

  ledgerPage(query: LedgerPageQuery) {
    return this.usageReads.ledgerPage(query);
  }
  usageSummary(accountId: string, fromDay: number, toDay: number, apiKeyId?: string) {
    return this.usageReads.usageSummary(accountId, fromDay, toDay, apiKeyId);
  }
  keyLabels(accountId: string, keyIds: readonly string[]) {
    return this.usageReads.keyLabels(accountId, keyIds);
  }
  pruneLedger(before: number, limit: number) {
    return this.usageReads.pruneLedger(before, limit);
  }

  recentBreaches(accountId: string, limit: number) {
    return this.breaches.recentBreaches(accountId, limit);
  }
  recordBreach(b: Breach) {
    return this.breaches.recordBreach(b);
  }
  pruneBreaches(keep: number) {
    return this.breaches.pruneBreaches(keep);
  }

  isWeb3TokenUsed(jti: string) {
    return this.web3Tokens.isWeb3TokenUsed(jti);
  }
  pruneWeb3Tokens(now: number) {
    return this.web3Tokens.pruneWeb3Tokens(now);
  }

  getSetting(name: string) {
    return this.settings.getSetting(name);
  }
  initSetting(name: string, value: string) {
    return this.settings.initSetting(name, value);
  }
  deleteSetting(name: string) {
    return this.settings.deleteSetting(name);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}
