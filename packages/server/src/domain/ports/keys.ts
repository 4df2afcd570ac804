import type { Account, ApiKeyChanges, ApiKeyRecord, IdempotencyRecord, NewApiKey } from '../model.js';
import type { Web3TokenTx } from './web3-tokens.js';

/**
 * API keys as stored. Work that must be atomic for an account goes through `inAccount`, which
 * serialises it against every other `inAccount` of the same account, on every instance, so that
 * caps and idempotency hold under concurrency.
 */
export interface KeyStore {
  /** The key with this secret digest and its account, whatever its state. */
  findKeyByDigest(digest: string): Promise<{ key: ApiKeyRecord; account: Account } | undefined>;
  getKey(accountId: string, id: string): Promise<ApiKeyRecord | undefined>;
  /** Deletes creation replays whose 24 h are over (they hold sealed secrets: nothing is kept longer than needed). */
  pruneIdempotency(now: number): Promise<number>;
  /** The account a key id belongs to, whatever its state (the operator revokes by key id alone). */
  accountOfKey(id: string): Promise<string | undefined>;
  /** Active keys (not revoked, not expired at `now`), newest first, ties by id descending. */
  listActiveKeys(accountId: string, now: number, page?: { offset: number; limit: number }): Promise<ApiKeyRecord[]>;
  touchKey(id: string, at: number): Promise<void>;

  inAccount<T>(accountId: string, work: (tx: AccountTx) => Promise<T>): Promise<T>;
}

/** Operations on an account's keys inside its serialised transaction. */
export interface KeyTx {
  getKey(id: string): Promise<ApiKeyRecord | undefined>;
  countActiveKeys(now: number): Promise<number>;
  /** Active ADMIN keys other than `exceptId`. */
  otherActiveAdminKeys(now: number, exceptId: string): Promise<ApiKeyRecord[]>;
  /** Creation instants of the account's keys created at or after `since`, oldest first. */
  keysCreatedSince(since: number): Promise<number[]>;
  insertKey(key: NewApiKey): Promise<void>;
  updateKey(id: string, changes: ApiKeyChanges): Promise<void>;
  revokeKey(id: string, at: number): Promise<void>;
}

/** Replays of key creation under an Idempotency-Key, inside the account's transaction. */
export interface IdempotencyTx {
  getIdempotency(keyDigest: string): Promise<IdempotencyRecord | undefined>;
  deleteIdempotency(keyDigest: string): Promise<void>;
  putIdempotency(record: IdempotencyRecord): Promise<void>;
}

/** Everything one account's serialised transaction can do. */
export interface AccountTx extends KeyTx, IdempotencyTx, Web3TokenTx {}
