import type { Charge, MirrorFacts } from './reservations.js';

export type LedgerCurrency = 'USD' | 'DIEM';
export type LedgerKind = 'input' | 'output';

/** One ledger line: one SKU charged in one currency (a request split across DIEM and USD has one per currency). */
export interface LedgerEntry {
  id: string;
  /** `<model>-llm-input-mtoken`, `<model>-llm-output-mtoken` or `<model>-embedding-input-mtoken`. */
  sku: string;
  kind: LedgerKind;
  tokens: bigint;
  /** Micro-USD per million tokens. */
  pricePerMTok: bigint;
  /** Micro-units charged, positive. */
  amount: bigint;
  currency: LedgerCurrency;
  /** 1 on the request's first entry, 0 on the others: summing it counts requests. */
  requests: 0 | 1;
}

/** A reservation settled: everything written for it, in one transaction. */
export interface SettlementRecord {
  reservationId: string;
  accountId: string;
  apiKeyId: string;
  requestId: string;
  modelId: string;
  /** When it settled (the ledger's timestamp), epoch ms. */
  at: number;
  /** The UTC day the spend counts for: the day it was admitted, as its hold was. */
  day: number;
  charge: Charge;
  promptTokens: number;
  completionTokens: number;
  executionMs: number;
  entries: readonly LedgerEntry[];
}

/**
 * The durable side of settlement: ledger lines, daily aggregates, the key's usage and the account's
 * balance debit, idempotent per reservation id.
 */
export interface UsageLedger {
  /**
   * Writes every settlement of the batch not recorded before, in one transaction. Returns, in batch order,
   * the charge recorded for each reservation: this one, or the one an earlier settlement recorded.
   */
  record(batch: readonly SettlementRecord[]): Promise<Charge[]>;
  /** What the counters mirror, read from the database. */
  mirrorFacts(accountId: string, keyId: string, keyPeriodStart: number, day: number): Promise<MirrorFacts>;
}
