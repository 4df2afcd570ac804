/**
 * The read side of the usage ledger (written by settlement through ports/ledger.ts): pages of raw
 * entries for the history walk, daily aggregates for analytics, and the pruning that retention needs.
 */

import type { LedgerEntry, LedgerKind } from '../ports/ledger.js';

/** A ledger line as the history shows it: the line, with the request it was charged for. */
export interface UsageEntry extends Omit<LedgerEntry, 'requests'> {
  apiKeyId: string;
  requestId: string;
  at: number;
  modelId: string;
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

/** What some rows of usage_daily_model add up to: micro-units charged per currency, and the tokens bought. */
export interface UsageSums {
  usd: bigint;
  diem: bigint;
  tokens: bigint;
}

/**
 * The daily aggregates of a range summed in the database twice over (per day and model, per day and
 * key): a few rows per day, however many entries the ledger holds. Every view of analytics derives
 * from these two.
 */
export interface UsageSummary {
  byDayModel: ({ day: number; modelId: string; kind: LedgerKind } & UsageSums)[];
  byDayKey: ({ day: number; apiKeyId: string } & UsageSums)[];
}

export interface KeyLabel {
  id: string;
  description: string;
  last6: string;
}

export interface UsageReader {
  /** Entries of the account in ascending (at, id) order. */
  ledgerPage(query: LedgerPageQuery): Promise<UsageEntry[]>;
  /** The aggregates from `fromDay` to `toDay` (days since the epoch, both inclusive); one key's only when given. */
  usageSummary(accountId: string, fromDay: number, toDay: number, apiKeyId?: string): Promise<UsageSummary>;
  /** Descriptions of the account's keys among `keyIds`, revoked ones included. */
  keyLabels(accountId: string, keyIds: readonly string[]): Promise<KeyLabel[]>;
  /** Deletes at most `limit` entries older than `before`; returns how many went. */
  pruneLedger(before: number, limit: number): Promise<number>;
}
