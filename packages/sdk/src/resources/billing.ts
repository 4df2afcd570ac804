import type { RequestOptions, VeniceClient } from '../client.js';
import type { APIPromise } from '../core/api-promise.js';
import { APIUserAbortError, VeniceError } from '../core/errors.js';
import { iterateCursor } from '../core/pagination.js';
import * as check from '../core/validation.js';
import type { RequestSpec } from '../internal/retry.js';

export const USAGE_CURRENCIES = ['USD', 'DIEM', 'BUNDLED_CREDITS'] as const;
export type UsageCurrency = (typeof USAGE_CURRENCIES)[number];

/** Longest `lookback` the analytics accept, in days. */
export const MAX_LOOKBACK_DAYS = 90;

export interface BillingBalance {
  /** Whether the spendable total is at least $0.10. */
  canConsume: boolean;
  consumptionCurrency: 'DIEM' | 'USD' | 'VCU' | 'BUNDLED_CREDITS' | (string & {}) | null;
  balances: { diem: number | null; usd: number | null; [currency: string]: number | null };
  diemEpochAllocation: number;
}

export interface BillingUsageInferenceDetails {
  requestId: string;
  promptTokens: number | null;
  completionTokens: number | null;
  /** Milliseconds. */
  inferenceExecutionTime: number | null;
}

/** One ledger entry: one SKU of one request, in one currency. */
export interface BillingUsageEntry {
  /** Negative: a charge. */
  amount: number;
  currency: UsageCurrency | (string & {});
  inferenceDetails: BillingUsageInferenceDetails | null;
  notes: string;
  pricePerUnitUsd: number;
  /** `<model>-llm-input-mtoken`, `<model>-llm-output-mtoken`, `<model>-embedding-input-mtoken`, … */
  sku: string;
  timestamp: string;
  /** Millions of tokens for token SKUs. */
  units: number;
  /** venice-keys servers add the key that was charged; api.venice.ai does not. */
  apiKeyId?: string;
}

/**
 * The first page takes filters; a continuation takes `cursor` alone (the filters travel inside it).
 * Timestamps are ISO 8601 UTC (`…Z`); consecutive windows sharing a boundary neither overlap nor leave gaps.
 */
export interface BillingUsageHistoryParams {
  currency?: UsageCurrency;
  /** Inclusive. */
  startTimestamp?: string;
  /** Exclusive; later than `startTimestamp`. */
  endTimestamp?: string;
  /** 10 to 1000; the server's default is 1000. */
  pageSize?: number;
  /** A previous page's `nextCursor`. */
  cursor?: string;
}

export interface BillingUsageHistoryPage {
  /** Ascending by timestamp. */
  data: BillingUsageEntry[];
  /** `null` on the last page. */
  nextCursor: string | null;
}

export interface BillingUsageHistoryCsvPage {
  /** The page as the server sent it: a header row, then one row per entry. */
  csv: string;
  /** From `x-next-cursor`; `null` on the last page. */
  nextCursor: string | null;
}

/** Entries of every page of a walk, fetched lazily; `pages()` walks page by page instead. */
export interface UsageHistoryWalk extends AsyncIterable<BillingUsageEntry> {
  pages(): AsyncIterable<BillingUsageHistoryPage>;
}

/** `lookback` (`1d` to `90d`, the server's default `7d`), or `startDate` and `endDate` together. */
export interface BillingUsageAnalyticsParams {
  lookback?: `${number}d` | (string & {});
  /** `YYYY-MM-DD`, with `endDate`. */
  startDate?: string;
  /** `YYYY-MM-DD`, with `startDate`, not before it. */
  endDate?: string;
}

export interface BillingUsageBreakdown {
  /** `Input`, `Output`, … */
  type: string;
  usd: number;
  diem: number;
  units: number;
}

export interface BillingUsageByModel {
  modelName: string;
  unitType: string;
  modelType: string | null;
  totalUsd: number;
  totalDiem: number;
  totalUnits: number;
  breakdown?: BillingUsageBreakdown[];
}

export interface BillingUsageByKey {
  /** `null` for usage from Venice's web app. */
  apiKeyId: string | null;
  description: string;
  totalUsd: number;
  totalDiem: number;
  totalUnits: number;
}

/** Chart rows: `date` (Unix ms of the UTC day) plus one number per model name or key description. */
export type BillingUsageDailySeries = { date: number; [name: string]: number }[];

export interface BillingUsageAnalytics {
  /** `Nd`, or `startDate:endDate`. */
  lookback: string;
  byDate: { date: string; USD: number; DIEM: number }[];
  /** Highest spend first. */
  byModel: BillingUsageByModel[];
  byModelDaily: BillingUsageDailySeries;
  topModels: string[];
  /** Highest spend first. */
  byKey: BillingUsageByKey[];
  byKeyDaily: BillingUsageDailySeries;
  topKeyNames: string[];
}

const HISTORY_FILTERS = ['currency', 'startTimestamp', 'endTimestamp', 'pageSize'] as const;

function historySpec(params: BillingUsageHistoryParams, accept: RequestSpec['accept']): RequestSpec {
  const p = params ?? {};
  check.apart(p, 'cursor', HISTORY_FILTERS, 'a cursor carries the filters of its walk: send it alone');
  check.cursor(p.cursor);
  check.oneOf('currency', p.currency, USAGE_CURRENCIES, false);
  check.timestamp('startTimestamp', p.startTimestamp);
  check.timestamp('endTimestamp', p.endTimestamp);
  check.ordered('endTimestamp', p.startTimestamp, p.endTimestamp, true);
  check.integer('pageSize', p.pageSize, 10, 1000);
  const query = p.cursor !== undefined ? { cursor: p.cursor } : pick(p, HISTORY_FILTERS);
  return { method: 'GET', path: '/billing/usage-history', query, kind: 'read', accept };
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

  /**
   * One page of the usage ledger (ADMIN), oldest first. Continue with `{ cursor: page.nextCursor }`.
   *
   * @example
   * const { data, nextCursor } = await venice.billing.usageHistoryPage({ currency: 'USD', pageSize: 100 });
   */
  usageHistoryPage(
    params: BillingUsageHistoryParams = {},
    options?: RequestOptions,
  ): APIPromise<BillingUsageHistoryPage> {
    return this.client.request(() => historySpec(params, undefined), options, historyPage);
  }

  /**
   * Every ledger entry matching the filters, following `nextCursor` page by page as it is iterated.
   * A walk sees every entry that existed when it began exactly once; `options.signal` stops it.
   *
   * @example
   * for await (const entry of venice.billing.usageHistory({ startTimestamp: '2026-06-01T00:00:00Z' })) {
   *   console.log(entry.timestamp, entry.sku, entry.amount);
   * }
   */
  usageHistory(params: BillingUsageHistoryParams = {}, options?: RequestOptions): UsageHistoryWalk {
    const pages = () =>
      iterateCursor(
        () => this.usageHistoryPage(params, options),
        (cursor) => this.usageHistoryPage({ cursor }, options),
      );
    return {
      pages: () => ({ [Symbol.asyncIterator]: pages }),
      async *[Symbol.asyncIterator]() {
        for await (const page of pages()) {
          for (const entry of page.data) {
            // An abort stops the walk at once, not only at the next request.
            if (options?.signal?.aborted) throw new APIUserAbortError();
            yield entry;
          }
        }
      },
    };
  }

  /**
   * One page of the usage ledger as CSV, exactly as the server wrote it, with the cursor of the next page.
   *
   * @example
   * let page = await venice.billing.usageHistoryCsv({ pageSize: 1000 });
   * while (page.nextCursor) page = await venice.billing.usageHistoryCsv({ cursor: page.nextCursor });
   */
  usageHistoryCsv(
    params: BillingUsageHistoryParams = {},
    options?: RequestOptions,
  ): APIPromise<BillingUsageHistoryCsvPage> {
    return this.client.request(
      () => historySpec(params, 'text/csv'),
      options,
      (csv, response) => ({
        csv: csv as string,
        nextCursor: response.headers.get('x-next-cursor') || null,
      }),
    );
  }

  /**
   * Spend by day, model and key over a lookback or a date range. An ADMIN key sees its account; on
   * venice-keys servers an INFERENCE key sees only its own usage.
   *
   * @example
   * const { byDate, byModel, topModels } = await venice.billing.usageAnalytics({ lookback: '30d' });
   */
  usageAnalytics(
    params: BillingUsageAnalyticsParams = {},
    options?: RequestOptions,
  ): APIPromise<BillingUsageAnalytics> {
    return this.client.request(() => {
      const p = params ?? {};
      check.lookback(p.lookback, MAX_LOOKBACK_DAYS);
      check.apart(p, 'lookback', ['startDate', 'endDate'], 'give a lookback or a date range, not both');
      check.date('startDate', p.startDate);
      check.date('endDate', p.endDate);
      check.together(p, ['startDate', 'endDate']);
      check.ordered('endDate', p.startDate, p.endDate, false);
      return {
        method: 'GET',
        path: '/billing/usage-analytics',
        query: pick(p, ['lookback', 'startDate', 'endDate']),
        kind: 'read',
      };
    }, options);
  }
}

function pick<T extends object>(params: T, names: readonly string[]): Record<string, string | number | undefined> {
  const p = params as Record<string, string | number | undefined>;
  return Object.fromEntries(names.filter((n) => p[n] !== undefined).map((n) => [n, p[n]]));
}

/** `{ data, nextCursor }`; anything else would make a walk either stop early or never stop. */
function historyPage(body: unknown): BillingUsageHistoryPage {
  const page = body as Partial<BillingUsageHistoryPage> | undefined;
  if (Array.isArray(page?.data) && (page.nextCursor === null || typeof page.nextCursor === 'string')) {
    return page as BillingUsageHistoryPage;
  }
  const shown = body === undefined ? 'an empty body' : JSON.stringify(body).slice(0, 200);
  throw new VeniceError(`Unexpected usage-history body: expected { data, nextCursor }, got ${shown}`);
}
