import { describe, expect, it } from 'vitest';
import {
  APIUserAbortError,
  BadRequestError,
  type BillingUsageEntry,
  VeniceError,
  VeniceValidationError,
} from '../src/index.js';
import { client, collect, fakeFetch, json, type RecordedRequest } from './support.js';

const entry = (i: number): BillingUsageEntry => ({
  amount: -0.000227,
  currency: 'USD',
  inferenceDetails: { requestId: `req-${i}`, promptTokens: 339, completionTokens: 227, inferenceExecutionTime: 2964 },
  notes: 'API Inference',
  pricePerUnitUsd: 1,
  sku: 'venice-uncensored-llm-output-mtoken',
  timestamp: new Date(Date.UTC(2026, 5, 1) + i * 1000).toISOString(),
  units: 0.000227,
  apiKeyId: 'e28e82dc-9df2-4b47-b726-d0a222ef2ab5',
});

/** A server holding `count` entries that pages them `size` at a time; cursor `c<n>` means "from entry n". */
const ledger = (count: number, size: number) => (req: RecordedRequest) => {
  const cursor = new URL(req.url).searchParams.get('cursor');
  const from = cursor === null ? 0 : Number(cursor.slice(1));
  const to = Math.min(from + size, count);
  const data = Array.from({ length: to - from }, (_, k) => entry(from + k));
  return json(200, { data, nextCursor: to < count ? `c${to}` : null });
};

const query = (r: RecordedRequest) => Object.fromEntries(new URL(r.url).searchParams);
const path = (r: RecordedRequest) => new URL(r.url).pathname;

describe('billing.usageHistoryPage', () => {
  it('sends the first-page filters and returns { data, nextCursor }', async () => {
    const f = fakeFetch(ledger(3, 10));
    const page = await client(f.fetch).billing.usageHistoryPage({
      currency: 'DIEM',
      startTimestamp: '2026-06-01T00:00:00Z',
      endTimestamp: '2026-07-01T00:00:00.000Z',
      pageSize: 10,
    });
    expect(page).toEqual({ data: [entry(0), entry(1), entry(2)], nextCursor: null });
    expect(f.requests).toHaveLength(1);
    expect(f.requests[0]!.method).toBe('GET');
    expect(path(f.requests[0]!)).toBe('/api/v1/billing/usage-history');
    expect(query(f.requests[0]!)).toEqual({
      currency: 'DIEM',
      startTimestamp: '2026-06-01T00:00:00Z',
      endTimestamp: '2026-07-01T00:00:00.000Z',
      pageSize: '10',
    });
    expect(f.requests[0]!.headers.accept).toBe('application/json');
  });

  it('sends nothing but the cursor on a continuation, and no query at all by default', async () => {
    const f = fakeFetch(ledger(30, 10));
    const venice = client(f.fetch);
    await venice.billing.usageHistoryPage();
    await venice.billing.usageHistoryPage({ cursor: 'c10' });
    expect(f.requests.map((r) => new URL(r.url).search)).toEqual(['', '?cursor=c10']);
  });

  it('refuses what the server would refuse, before sending anything', async () => {
    const f = fakeFetch(ledger(1, 10));
    const history = client(f.fetch).billing;
    const bad: [Record<string, unknown>, string][] = [
      [{ pageSize: 9 }, 'pageSize'],
      [{ pageSize: 1001 }, 'pageSize'],
      [{ pageSize: 10.5 }, 'pageSize'],
      [{ pageSize: '100' }, 'pageSize'],
      [{ currency: 'EUR' }, 'currency'],
      [{ startTimestamp: '2026-06-01' }, 'startTimestamp'],
      [{ startTimestamp: '2026-06-01T00:00:00+02:00' }, 'startTimestamp'],
      [{ endTimestamp: '2026-02-30T00:00:00Z' }, 'endTimestamp'],
      [{ startTimestamp: '2026-06-02T00:00:00Z', endTimestamp: '2026-06-01T00:00:00Z' }, 'endTimestamp'],
      [{ startTimestamp: '2026-06-01T00:00:00Z', endTimestamp: '2026-06-01T00:00:00.000Z' }, 'endTimestamp'],
      [{ cursor: 'c10', pageSize: 10 }, 'pageSize'],
      [{ cursor: 'c10', currency: 'USD' }, 'currency'],
      [{ cursor: 'not/url+safe' }, 'cursor'],
      [{ cursor: '' }, 'cursor'],
      [{ cursor: 'x'.repeat(513) }, 'cursor'],
    ];
    for (const [params, param] of bad) {
      const e = await history.usageHistoryPage(params as never).catch((x: unknown) => x);
      expect(e, JSON.stringify(params)).toBeInstanceOf(VeniceValidationError);
      expect((e as VeniceValidationError).param, JSON.stringify(params)).toBe(param);
    }
    expect(f.requests).toHaveLength(0);
  });

  it('rejects a body that is not a page, instead of walking it', async () => {
    const f = fakeFetch(json(200, { data: [] }));
    const e = await client(f.fetch)
      .billing.usageHistoryPage()
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(VeniceError);
    expect((e as Error).message).toContain('expected { data, nextCursor }');
  });
});

describe('billing.usageHistory', () => {
  it('follows nextCursor lazily until it is null, yielding every entry once, in order', async () => {
    const f = fakeFetch(ledger(25, 10));
    const walk = client(f.fetch).billing.usageHistory({ currency: 'USD', pageSize: 10 });
    expect(f.requests).toHaveLength(0);
    const got = await collect(walk);
    expect(got.map((e) => e.inferenceDetails?.requestId)).toEqual(Array.from({ length: 25 }, (_, i) => `req-${i}`));
    expect(f.requests.map(query)).toEqual([{ currency: 'USD', pageSize: '10' }, { cursor: 'c10' }, { cursor: 'c20' }]);
  });

  it('offers the same walk page by page, and restarts when iterated again', async () => {
    const f = fakeFetch(ledger(20, 10));
    const walk = client(f.fetch).billing.usageHistory({ pageSize: 10 });
    const pages = await collect(walk.pages());
    expect(pages.map((p) => [p.data.length, p.nextCursor])).toEqual([
      [10, 'c10'],
      [10, null],
    ]);
    expect(await collect(walk)).toHaveLength(20);
    expect(f.requests).toHaveLength(4);
  });

  it('makes one request for an empty ledger', async () => {
    const f = fakeFetch(ledger(0, 10));
    expect(await collect(client(f.fetch).billing.usageHistory())).toEqual([]);
    expect(f.requests).toHaveLength(1);
  });

  it('stops with an error when the server answers a cursor with the same cursor', async () => {
    const f = fakeFetch(json(200, { data: [entry(0)], nextCursor: 'same' }));
    const e = await collect(client(f.fetch).billing.usageHistory()).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(VeniceError);
    expect((e as Error).message).toContain('same cursor');
    expect(f.requests).toHaveLength(2);
  });

  it('fails on the first step, before any request, for invalid filters', async () => {
    const f = fakeFetch(ledger(5, 10));
    const e = await collect(client(f.fetch).billing.usageHistory({ pageSize: 5 })).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(VeniceValidationError);
    expect(f.requests).toHaveLength(0);
  });

  it('stops at once when aborted, mid-page or between pages, sending nothing more', async () => {
    for (const stopAt of [4, 10]) {
      const f = fakeFetch(ledger(30, 10));
      const controller = new AbortController();
      const seen: BillingUsageEntry[] = [];
      const e = await (async () => {
        for await (const x of client(f.fetch).billing.usageHistory({ pageSize: 10 }, { signal: controller.signal })) {
          seen.push(x);
          if (seen.length === stopAt) controller.abort();
        }
      })().catch((x: unknown) => x);
      expect(e).toBeInstanceOf(APIUserAbortError);
      expect(seen).toHaveLength(stopAt);
      expect(f.requests).toHaveLength(1);
    }
  });

  it('stops when aborted while a page is in flight, and does not retry', async () => {
    const controller = new AbortController();
    const f = fakeFetch(ledger(30, 10), (_req, signal) => {
      controller.abort();
      return new Promise<Response>((_, reject) => {
        if (signal?.aborted) reject(signal.reason);
        signal?.addEventListener('abort', () => reject(signal.reason));
      });
    });
    const e = await collect(
      client(f.fetch).billing.usageHistory({ pageSize: 10 }, { signal: controller.signal }),
    ).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(APIUserAbortError);
    expect(f.requests.map(query)).toEqual([{ pageSize: '10' }, { cursor: 'c10' }]);
  });

  it('retries a failed page with the same cursor and carries on; a refused cursor ends the walk', async () => {
    const ok = ledger(20, 10);
    const f = fakeFetch(ok, json(503, { error: 'busy' }, { 'retry-after-ms': '1' }), ok);
    expect(await collect(client(f.fetch).billing.usageHistory({ pageSize: 10 }))).toHaveLength(20);
    expect(f.requests.map(query)).toEqual([{ pageSize: '10' }, { cursor: 'c10' }, { cursor: 'c10' }]);

    const refused = fakeFetch(ok, json(400, { error: 'Invalid cursor' }));
    const e = await collect(client(refused.fetch).billing.usageHistory({ pageSize: 10 })).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BadRequestError);
    expect(refused.requests).toHaveLength(2);
  });
});

describe('billing.usageHistoryCsv', () => {
  const csv = 'timestamp,sku,amount\r\n2026-06-01T00:00:00.000Z,"a,b",-0.1\r\n';
  const csvReply = (headers: Record<string, string>) =>
    new Response(csv, { status: 200, headers: { 'content-type': 'text/csv; charset=utf-8', ...headers } });

  it('asks for text/csv and returns the text as sent, with the cursor from x-next-cursor', async () => {
    const f = fakeFetch(csvReply({ 'x-next-cursor': 'c10' }));
    const page = await client(f.fetch).billing.usageHistoryCsv({ pageSize: 10, currency: 'USD' });
    expect(page).toEqual({ csv, nextCursor: 'c10' });
    expect(f.requests[0]!.headers.accept).toBe('text/csv');
    expect(query(f.requests[0]!)).toEqual({ pageSize: '10', currency: 'USD' });
  });

  it('gives nextCursor null on the last page, and validates like the JSON page', async () => {
    const f = fakeFetch(csvReply({}));
    const venice = client(f.fetch);
    expect((await venice.billing.usageHistoryCsv({ cursor: 'c10' })).nextCursor).toBeNull();
    await expect(venice.billing.usageHistoryCsv({ cursor: 'c10', pageSize: 10 })).rejects.toBeInstanceOf(
      VeniceValidationError,
    );
    expect(f.requests).toHaveLength(1);
  });

  it('turns a JSON error into the usual error class', async () => {
    const f = fakeFetch(json(400, { error: 'Invalid cursor' }));
    const e = await client(f.fetch)
      .billing.usageHistoryCsv({ cursor: 'abc' })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BadRequestError);
    expect((e as Error).message).toBe('400 Invalid cursor');
  });
});

describe('billing.usageAnalytics', () => {
  const analytics = {
    lookback: '30d',
    byDate: [{ date: '2026-06-01', USD: 0.5, DIEM: 0 }],
    byModel: [],
    byModelDaily: [],
    topModels: [],
    byKey: [],
    byKeyDaily: [],
    topKeyNames: [],
  };

  it('sends lookback or a date range and returns the body as is', async () => {
    const f = fakeFetch(json(200, analytics));
    const venice = client(f.fetch);
    expect(await venice.billing.usageAnalytics({ lookback: '30d' })).toEqual(analytics);
    await venice.billing.usageAnalytics({ startDate: '2026-05-31', endDate: '2026-06-01' });
    await venice.billing.usageAnalytics();
    expect(f.requests.map((r) => [path(r), new URL(r.url).search])).toEqual([
      ['/api/v1/billing/usage-analytics', '?lookback=30d'],
      ['/api/v1/billing/usage-analytics', '?startDate=2026-05-31&endDate=2026-06-01'],
      ['/api/v1/billing/usage-analytics', ''],
    ]);
  });

  it('refuses bad lookbacks and date ranges before sending anything', async () => {
    const f = fakeFetch(json(200, analytics));
    const billing = client(f.fetch).billing;
    const bad: [Record<string, unknown>, string][] = [
      [{ lookback: '0d' }, 'lookback'],
      [{ lookback: '91d' }, 'lookback'],
      [{ lookback: '07d' }, 'lookback'],
      [{ lookback: '7' }, 'lookback'],
      [{ lookback: '7D' }, 'lookback'],
      [{ startDate: '2026-06-01' }, 'endDate'],
      [{ endDate: '2026-06-01' }, 'startDate'],
      [{ startDate: '2026-02-30', endDate: '2026-03-01' }, 'startDate'],
      [{ startDate: '2026-06-01T00:00:00Z', endDate: '2026-06-02' }, 'startDate'],
      [{ startDate: '2026-06-02', endDate: '2026-06-01' }, 'endDate'],
      [{ lookback: '7d', startDate: '2026-06-01', endDate: '2026-06-02' }, 'startDate'],
    ];
    for (const [params, param] of bad) {
      const e = await billing.usageAnalytics(params as never).catch((x: unknown) => x);
      expect(e, JSON.stringify(params)).toBeInstanceOf(VeniceValidationError);
      expect((e as VeniceValidationError).param, JSON.stringify(params)).toBe(param);
    }
    expect(await billing.usageAnalytics({ lookback: '90d' })).toEqual(analytics);
    expect(await billing.usageAnalytics({ startDate: '2026-06-01', endDate: '2026-06-01' })).toEqual(analytics);
    expect(f.requests).toHaveLength(2);
  });
});
