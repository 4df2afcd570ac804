import type { RequestOptions, VeniceClient } from '../client.js';
import type { APIPromise } from '../core/api-promise.js';

export interface BillingBalance {
  /** Whether the spendable total is at least $0.10. */
  canConsume: boolean;
  consumptionCurrency: 'DIEM' | 'USD' | 'VCU' | 'BUNDLED_CREDITS' | (string & {}) | null;
  balances: { diem: number | null; usd: number | null; [currency: string]: number | null };
  diemEpochAllocation: number;
}

export class Billing {
  constructor(private readonly client: VeniceClient) {}

  /**
   * The account's balances and what it will spend first (the wire sends this one without a `{ data }` wrapper).
   *
   * @example
   * const { canConsume, balances } = await venice.billing.getBalance();
   */
  getBalance(options?: RequestOptions): APIPromise<BillingBalance> {
    return this.client.request(() => ({ method: 'GET', path: '/billing/balance', kind: 'read' }), options);
  }
}
