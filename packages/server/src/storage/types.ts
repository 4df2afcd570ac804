import type {
  Account,
  ApiKeyChanges,
  ApiKeyRecord,
  Breach,
  IdempotencyRecord,
  NewApiKey,
  Spend,
} from '../domain/model.js';

/**
 * Everything the domain asks of the database. Adapters (`SqliteStore`, `PostgresStore`) implement it
 * and pass one shared contract suite. Work that must be atomic for an account goes through
 * `inAccount`, which serialises it against every other `inAccount` of the same account, on every
 * instance, so that caps and idempotency hold under concurrency.
 */
export interface Store {
  readonly kind: 'sqlite' | 'postgres';

  createAccount(account: Account): Promise<void>;
  getAccount(id: string): Promise<Account | undefined>;
  listAccounts(): Promise<Account[]>;
  countAccounts(): Promise<number>;
  /** Creates the wallet's account unless one exists; returns the account linked to the wallet. */
  accountForWallet(candidate: Account): Promise<Account>;
  creditUsd(accountId: string, micros: bigint): Promise<Account | undefined>;
  updateAccount(
    accountId: string,
    changes: { tier?: string; diemEpochAllocation?: bigint },
  ): Promise<Account | undefined>;

  /** The key with this secret digest and its account, whatever its state. */
  findKeyByDigest(digest: string): Promise<{ key: ApiKeyRecord; account: Account } | undefined>;
  getKey(accountId: string, id: string): Promise<ApiKeyRecord | undefined>;
  /** Active keys (not revoked, not expired at `now`), newest first, ties by id descending. */
  listActiveKeys(accountId: string, now: number, page?: { offset: number; limit: number }): Promise<ApiKeyRecord[]>;
  touchKey(id: string, at: number): Promise<void>;

  /** Spend per key of the account from `fromDay` (days since the epoch, inclusive) on. */
  spendByKey(accountId: string, fromDay: number, keyIds?: readonly string[]): Promise<Map<string, Spend>>;
  /** Adds spend to the key's bucket of that day. */
  recordSpend(accountId: string, keyId: string, day: number, spend: Spend): Promise<void>;
  /** The account's whole spend from `fromDay` on. */
  accountSpend(accountId: string, fromDay: number): Promise<Spend>;

  recentBreaches(accountId: string, limit: number): Promise<Breach[]>;
  recordBreach(breach: Breach): Promise<void>;

  /** Whether a web3 token id has minted a key already (a read; the atomic mark is `AccountTx.useWeb3Token`). */
  isWeb3TokenUsed(jti: string): Promise<boolean>;

  inAccount<T>(accountId: string, work: (tx: AccountTx) => Promise<T>): Promise<T>;

  getSetting(name: string): Promise<string | undefined>;
  /** Stores the value unless one exists; returns the value that is stored. */
  initSetting(name: string, value: string): Promise<string>;

  close(): Promise<void>;
}

/** Operations inside one account's serialised transaction. */
export interface AccountTx {
  getKey(id: string): Promise<ApiKeyRecord | undefined>;
  countActiveKeys(now: number): Promise<number>;
  /** Active ADMIN keys other than `exceptId`. */
  otherActiveAdminKeys(now: number, exceptId: string): Promise<ApiKeyRecord[]>;
  /** Creation instants of the account's keys created at or after `since`, oldest first. */
  keysCreatedSince(since: number): Promise<number[]>;
  insertKey(key: NewApiKey): Promise<void>;
  updateKey(id: string, changes: ApiKeyChanges): Promise<void>;
  revokeKey(id: string, at: number): Promise<void>;

  getIdempotency(keyDigest: string): Promise<IdempotencyRecord | undefined>;
  deleteIdempotency(keyDigest: string): Promise<void>;
  putIdempotency(record: IdempotencyRecord): Promise<void>;

  /** Marks a web3 token used; false when it already was. Rolled back with the transaction. */
  useWeb3Token(jti: string, at: number, expiresAt: number): Promise<boolean>;
}
