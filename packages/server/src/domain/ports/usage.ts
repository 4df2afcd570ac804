import type { Spend } from '../model.js';

/** Spend per key and UTC day (usage_daily): what key usage figures and balances are computed from. */
export interface UsageStore {
  /** Spend per key of the account from `fromDay` (days since the epoch, inclusive) on. */
  spendByKey(accountId: string, fromDay: number, keyIds?: readonly string[]): Promise<Map<string, Spend>>;
  /** Adds spend to the key's bucket of that day. */
  recordSpend(accountId: string, keyId: string, day: number, spend: Spend): Promise<void>;
  /** The account's whole spend from `fromDay` on. */
  accountSpend(accountId: string, fromDay: number): Promise<Spend>;
}
