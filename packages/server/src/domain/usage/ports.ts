/**
 * The read side of the usage ledger (written by settlement through ports/ledger.ts): pages of raw
 * entries for the history walk, daily aggregates for analytics, and the pruning that retention needs.
 */

import type { LedgerCurrency, LedgerKind } from '../ports/ledger.js';

/** A ledger line as the history shows it: one SKU of one settled request in one currency. */
export interface UsageEntry {
  id: string;
  apiKeyId: string;
  requestId: string;
  at: number;
  modelId: string;
  sku: string;
  kind: LedgerKind;
  tokens: bigint;
  /** Micro-USD per million tokens. */
  pricePerMTok: bigint;
  /** Charged, positive. */
  amount: bigint;
  currency: LedgerCurrency;
  promptTokens: number;
  completionTokens: number;
  executionMs: number;
}

/** Where a walk stands: the last entry it returned, in (at, id) order. */
export interface LedgerPosition {
  at: number;
  id: string;
}

export interface LedgerPageQuery {
  accountId: string;
  currency?: string | undefined;
  /** Inclusive. */
  startAt?: number | undefined;
  /** Exclusive. */
  endAt?: number | undefined;
  /** Inclusive: the instant the walk began, so that entries recorded during it stay out of it. */
  asOf: number;
  /** Strictly after this position. */
  after?: LedgerPosition | undefined;
  limit: number;
}

/** One row of usage_daily_model: a key's spend on a model, per UTC day, kind and currency. */
export interface DailyModelUsage {
  day: number;
  apiKeyId: string;
  modelId: string;
  kind: LedgerKind;
  currency: LedgerCurrency;
  amount: bigint;
  tokens: bigint;
  requests: number;
}

export interface KeyLabel {
  id: string;
  description: string;
  last6: string;
}

export interface UsageReader {
  /** Entries of the account in ascending (at, id) order. */
  ledgerPage(query: LedgerPageQuery): Promise<UsageEntry[]>;
  /** Aggregates from `fromDay` to `toDay` (days since the epoch, both inclusive); one key's only when given. */
  dailyModelUsage(accountId: string, fromDay: number, toDay: number, apiKeyId?: string): Promise<DailyModelUsage[]>;
  /** Descriptions of the account's keys among `keyIds`, revoked ones included. */
  keyLabels(accountId: string, keyIds: readonly string[]): Promise<KeyLabel[]>;
  /** Deletes at most `limit` entries older than `before`; returns how many went. */
  pruneLedger(before: number, limit: number): Promise<number>;
}
