import type { CompiledQuery, Kysely, Transaction } from 'kysely';

/** Integers arrive as bigint (SQLite with safe integers), string (pg int8) or number: normalise here. */
export type Int = number | bigint | string;

export interface Database {
  accounts: {
    id: string;
    tier: string;
    usd_balance: Int;
    diem_epoch_allocation: Int;
    wallet_address: string | null;
    created_at: Int;
    disabled_at: Int | null;
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

export const num = (v: Int): number => Number(v);
export const numOrNull = (v: Int | null): number | null => (v === null ? null : Number(v));
export const big = (v: Int): bigint => BigInt(v);
export const bigOrNull = (v: Int | null): bigint | null => (v === null ? null : BigInt(v));
/** better-sqlite3 refuses bigints beyond int64 and pg wants text for int8: bind money as decimal text. */
export const bind = (v: bigint | null): string | null => (v === null ? null : v.toString());

export type Db = Kysely<Database> | Transaction<Database>;

/** Runs a precompiled read of a hot path; an engine may take a faster road than Kysely's connection queue. */
export type HotRead = <R>(query: CompiledQuery<R>) => Promise<R[]>;
