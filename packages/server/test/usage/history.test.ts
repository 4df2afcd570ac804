import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { CURSOR_TTL_MS } from '../../src/domain/usage/cursor.js';
import { bearer, newAccount, newKey, type TestAccount } from '../support/app.js';
import { storeFactories } from '../support/stores.js';
import { expectInvalid, record, type Spend, useUsageBed } from './support.js';

const URL_ = '/api/v1/billing/usage-history';
const T = Date.UTC(2026, 0, 10, 8);

type Entry = {
  timestamp: string;
  sku: string;
  currency: string;
  amount: number;
  units: number;
  inferenceDetails: { requestId: string };
};
type Page = { data: Entry[]; nextCursor: string | null };

/** What identifies a line on the wire: its request, SKU and currency. */
const line = (e: { requestId?: string; inferenceDetails?: { requestId: string }; sku: string; currency: string }) =>
  `${e.requestId ?? e.inferenceDetails?.requestId} ${e.sku} ${e.currency}`;

for (const factory of storeFactories) {
  const available = await factory.available();
  describe.skipIf(!available)(`GET /billing/usage-history on ${factory.name}`, () => {
    const bed = useUsageBed(factory);

    const get = (query: Record<string, string>, secret: string, headers: Record<string, string> = {}) =>
      bed.app.inject({ method: 'GET', url: URL_, query, headers: { ...bearer(secret), ...headers } });

    async function walk(acct: TestAccount, first: Record<string, string>, between?: () => Promise<void>) {
      const pages: Page[] = [];
      let res = await get(first, acct.adminKey);
      for (;;) {
        expect(res.statusCode, res.body).toBe(200);
        const page = res.json<Page>();
        pages.push(page);
        if (page.nextCursor === null) return pages;
        await between?.();
        res = await get({ cursor: page.nextCursor }, acct.adminKey);
      }
    }

    async function seeded(spends: (keyId: string) => Spend[]) {
      const acct = await newAccount(bed);
      const key = await newKey(bed, acct.accountId, { description: 'backend' });
      const lines = await record(bed, acct.accountId, spends(key.id));
      return { acct, key, lines };
    }

    const spread = (keyId: string, n: number, from = T): Spend[] =>
      Array.from({ length: n }, (_, i) => ({
        keyId,
        modelId: i % 3 === 0 ? 'llama-3.3-70b' : 'venice-uncensored',
        at: from + i * 60_000,
        prompt: 100 + i,
        completion: 10 + i,
        diem: i % 4 === 0 ? 30n : 0n,
      }));

    it("returns an entry in Venice's shape, with our apiKeyId", async () => {
      const { acct, key } = await seeded((keyId) => [
        { keyId, modelId: 'llama-3.3-70b', at: T, prompt: 339, completion: 227, requestId: 'req-shape' },
      ]);
      const res = await get({}, acct.adminKey);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      // Both lines share the instant: their order is their random ids'.
      const body = res.json<Page>();
      body.data.sort((a, b) => a.sku.localeCompare(b.sku));
      const line = (kind: string, amount: number, pricePerUnitUsd: number, units: number) => ({
        amount,
        currency: 'USD',
        inferenceDetails: {
          requestId: 'req-shape',
          promptTokens: 339,
          completionTokens: 227,
          inferenceExecutionTime: 1234,
        },
        notes: 'API Inference',
        pricePerUnitUsd,
        sku: `llama-3.3-70b-llm-${kind}-mtoken`,
        timestamp: '2026-01-10T08:00:00.000Z',
        units,
        apiKeyId: key.id,
      });
      expect(body).toEqual({
        data: [line('input', -0.000238, 0.7, 0.000339), line('output', -0.000636, 2.8, 0.000227)],
        nextCursor: null,
      });
    });

    it('answers an empty ledger with no entries and no cursor', async () => {
      const acct = await newAccount(bed);
      const res = await get({ pageSize: '10' }, acct.adminKey);
      expect(res.json()).toEqual({ data: [], nextCursor: null });
    });

    it('walks every entry once, ascending by (timestamp, id), and only those of the account', async () => {
      const { acct, lines } = await seeded((keyId) => [
        ...spread(keyId, 20),
        // Ties: many lines on one instant, spread over a page boundary.
        ...Array.from({ length: 8 }, () => ({
          keyId,
          modelId: 'venice-uncensored',
          at: T + 5 * 60_000,
          prompt: 5,
          completion: 5,
        })),
      ]);
      await seeded((keyId) => spread(keyId, 5));
      const pages = await walk(acct, { pageSize: '10' });
      expect(pages.slice(0, -1).every((p) => p.data.length === 10)).toBe(true);
      expect(pages.flatMap((p) => p.data).map(line)).toEqual(lines.map(line));
      const times = pages.flatMap((p) => p.data).map((e) => e.timestamp);
      expect([...times].sort()).toEqual(times);
    });

    it('sees exactly the entries that existed when the walk began, while usage keeps arriving', async () => {
      const { acct, key, lines } = await seeded((keyId) => spread(keyId, 30));
      let arrivals = 0;
      const pages = await walk(acct, { pageSize: '10' }, async () => {
        bed.clock.advance(1_000);
        arrivals++;
        // New usage, and a late settlement stamped before the walk's position: neither joins the walk.
        await record(bed, acct.accountId, [
          { keyId: key.id, modelId: 'venice-uncensored', at: bed.clock.now(), prompt: 7, completion: 7 },
          { keyId: key.id, modelId: 'venice-uncensored', at: T - 60_000, prompt: 7, completion: 7 },
        ]);
      });
      expect(arrivals).toBeGreaterThan(0);
      expect(pages.flatMap((p) => p.data).map(line)).toEqual(lines.map(line));
      // A walk begun afterwards sees what arrived meanwhile.
      const later = await walk(acct, {});
      expect(later.flatMap((p) => p.data)).toHaveLength(lines.length + 4 * arrivals);
    });

    it('filters by currency, inclusive start and exclusive end, and carries the filters in the cursor', async () => {
      const { acct, lines } = await seeded((keyId) => spread(keyId, 40));
      const start = T + 5 * 60_000;
      const end = T + 35 * 60_000;
      const query = {
        currency: 'USD',
        startTimestamp: new Date(start).toISOString().replace('.000', ''),
        endTimestamp: new Date(end).toISOString(),
        pageSize: '10',
      };
      const pages = await walk(acct, query);
      const expected = lines.filter((l) => l.currency === 'USD' && l.at >= start && l.at < end);
      expect(expected.length).toBeGreaterThan(20);
      expect(pages.flatMap((p) => p.data).map(line)).toEqual(expected.map(line));
      // Consecutive windows sharing a boundary neither overlap nor leave a gap.
      const before = await walk(acct, { currency: 'USD', endTimestamp: query.startTimestamp });
      const after = await walk(acct, { currency: 'USD', startTimestamp: query.endTimestamp });
      const all = [...before, ...pages, ...after].flatMap((p) => p.data).map(line);
      expect(all).toEqual(lines.filter((l) => l.currency === 'USD').map(line));
    });

    it('serves the same page as CSV (RFC 4180), parsed back equal to the JSON page', async () => {
      // 13 requests of two lines each: a page of 20, then one of 6.
      const { acct } = await seeded((keyId) => [
        ...spread(keyId, 12).map((s) => ({ ...s, diem: 0n })),
        {
          keyId,
          modelId: 'venice-uncensored',
          at: T + 1,
          prompt: 3,
          completion: 4,
          requestId: 'req, "quoted"\r\nline',
        },
      ]);
      const json = await get({ pageSize: '20' }, acct.adminKey);
      const csv = await get({ pageSize: '20' }, acct.adminKey, { accept: 'text/csv' });
      expect(csv.statusCode).toBe(200);
      expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
      const stamp = new Date(bed.clock.now()).toISOString().replaceAll(/[-:.]/g, '');
      expect(csv.headers['content-disposition']).toBe(`attachment; filename=billing-usage-history-${stamp}.csv`);
      expect(csv.headers['content-disposition']).toMatch(
        /^attachment; filename=billing-usage-history-\d{8}T\d{9}Z\.csv$/,
      );
      const page = json.json<Page>();
      expect(csv.headers['x-next-cursor']).toBe(page.nextCursor);
      expect(csv.body).toMatch(/^timestamp,sku,currency,amount,units,pricePerUnitUsd,notes,apiKeyId,requestId,/);
      expect(csv.body).toContain('"req, ""quoted""\r\nline"');
      const numeric = (v: string, ctx: { header: boolean }) =>
        ctx.header || v === '' || Number.isNaN(Number(v)) ? v : Number(v);
      const flat = page.data.map(({ inferenceDetails, ...rest }) => ({ ...rest, ...inferenceDetails }));
      expect(flat).toHaveLength(20);
      expect(parse(csv.body, { columns: true, cast: numeric })).toEqual(flat);

      const last = await get({ cursor: page.nextCursor as string }, acct.adminKey, {
        accept: 'application/json;q=0.5, text/csv',
      });
      expect(last.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(last.headers['x-next-cursor']).toBeUndefined();
      expect(parse(last.body, { columns: true })).toHaveLength(6);
      const refused = await get({ pageSize: '20' }, acct.adminKey, { accept: 'text/csv;q=0, application/json' });
      expect(refused.headers['content-type']).toMatch(/^application\/json/);
    });

    describe('refuses with 400 in the contract shape', () => {
      it('a tampered, foreign or expired cursor, or one sent with filters', async () => {
        const { acct } = await seeded((keyId) => spread(keyId, 25));
        const cursor = (await get({ pageSize: '10' }, acct.adminKey)).json<Page>().nextCursor as string;
        const flipped = cursor.slice(0, 10) + (cursor[10] === 'A' ? 'B' : 'A') + cursor.slice(11);
        expectInvalid(await get({ cursor: flipped }, acct.adminKey), 'cursor', /^Invalid cursor/);
        expectInvalid(await get({ cursor: `${cursor}x` }, acct.adminKey), 'cursor', /^Invalid cursor/);
        expectInvalid(await get({ cursor: 'not a cursor!' }, acct.adminKey), 'cursor');
        const other = await newAccount(bed);
        expectInvalid(await get({ cursor }, other.adminKey), 'cursor', /^Invalid cursor/);
        for (const [name, value] of [
          ['currency', 'USD'],
          ['pageSize', '10'],
          ['startTimestamp', '2026-01-01T00:00:00Z'],
          ['endTimestamp', '2026-02-01T00:00:00Z'],
        ] as const) {
          expectInvalid(await get({ cursor, [name]: value }, acct.adminKey), name, /Not allowed with cursor/);
        }
        expect((await get({ cursor }, acct.adminKey)).statusCode).toBe(200);
        bed.clock.advance(CURSOR_TTL_MS);
        expectInvalid(await get({ cursor }, acct.adminKey), 'cursor', /^Cursor expired/);
        bed.clock.advance(-CURSOR_TTL_MS);
      });

      it('bad bounds, sizes and values', async () => {
        const acct = await newAccount(bed);
        const cases: [Record<string, string>, string][] = [
          [{ pageSize: '9' }, 'pageSize'],
          [{ pageSize: '1001' }, 'pageSize'],
          [{ pageSize: '10.5' }, 'pageSize'],
          [{ pageSize: 'ten' }, 'pageSize'],
          [{ currency: 'EUR' }, 'currency'],
          [{ startTimestamp: '2026-01-01' }, 'startTimestamp'],
          [{ startTimestamp: '2026-01-01T00:00:00+01:00' }, 'startTimestamp'],
          [{ endTimestamp: '2026-02-30T00:00:00Z' }, 'endTimestamp'],
          [{ startTimestamp: '2026-01-02T00:00:00Z', endTimestamp: '2026-01-01T00:00:00Z' }, 'endTimestamp'],
          [{ startTimestamp: '2026-01-01T00:00:00Z', endTimestamp: '2026-01-01T00:00:00.000Z' }, 'endTimestamp'],
          [{ limit: '10' }, ''],
        ];
        for (const [query, path] of cases) expectInvalid(await get(query, acct.adminKey), path);
        const twice = await bed.app.inject({
          method: 'GET',
          url: `${URL_}?currency=USD&currency=DIEM`,
          headers: bearer(acct.adminKey),
        });
        expectInvalid(twice, 'currency');
      });
    });

    it('is for ADMIN keys only', async () => {
      const { acct, key } = await seeded((keyId) => spread(keyId, 1));
      const res = await get({}, key.secret);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ error: 'Admin API key required' });
      expect((await get({}, acct.adminKey)).statusCode).toBe(200);
    });
  });
}
