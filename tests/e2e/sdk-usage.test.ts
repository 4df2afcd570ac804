import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APIUserAbortError,
  AuthenticationError,
  BadRequestError,
  type BillingUsageEntry,
  VeniceClient,
} from '../../packages/sdk/src/index.js';
import { collect } from '../../packages/sdk/test/support.js';
import { chatBody, type Gateway, startGateway } from '../../packages/server/test/gateway/harness.js';
import type { TestAccount } from '../../packages/server/test/support/app.js';
import { storeFactories } from '../../packages/server/test/support/stores.js';

const REQUESTS = 14;

/** The SDK's usage methods against the real server, after real inference through the gateway. */
for (const factory of storeFactories) {
  const available = await factory.available();
  describe.skipIf(!available)(`SDK usage methods against the server on ${factory.name}`, () => {
    let g: Gateway;
    let acct: TestAccount;
    let admin: VeniceClient;
    let inference: VeniceClient;
    let baseURL: string;

    beforeAll(async () => {
      g = await startGateway(factory);
      baseURL = `${await g.app.listen({ host: '127.0.0.1', port: 0 })}/api/v1`;
      acct = await g.account(10);
      const secret = await g.key(acct.accountId, { description: 'e2e inference' });
      const other = await g.key(acct.accountId, { description: 'e2e other' });
      for (let i = 0; i < REQUESTS; i++) {
        const res = await fetch(`${baseURL}/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${i % 2 ? other : secret}`, 'content-type': 'application/json' },
          body: JSON.stringify(chatBody({ max_tokens: 1 + i })),
        });
        expect(res.status, await res.text()).toBe(200);
        g.clock.advance(1_000);
      }
      await g.gateway.flush();
      admin = new VeniceClient({ apiKey: acct.adminKey, baseURL, maxRetries: 0 });
      inference = new VeniceClient({ apiKey: secret, baseURL, maxRetries: 0 });
    });
    afterAll(() => g?.close());

    it('walks the ledger the gateway wrote, page by page, to its end', async () => {
      const entries = await collect(admin.billing.usageHistory({ pageSize: 10 }));
      // One input and one output line per request, each in USD.
      expect(entries).toHaveLength(2 * REQUESTS);
      expect(new Set(entries.map((e) => e.inferenceDetails?.requestId)).size).toBe(REQUESTS);
      expect(entries.every((e) => e.amount < 0 && e.currency === 'USD' && e.notes === 'API Inference')).toBe(true);
      const times = entries.map((e) => e.timestamp);
      expect([...times].sort()).toEqual(times);
      const pages = await collect(admin.billing.usageHistory({ pageSize: 10 }).pages());
      expect(pages.map((p) => p.data.length)).toEqual([10, 10, 8]);
      expect(pages.at(-1)?.nextCursor).toBeNull();

      const first = await admin.billing.usageHistoryPage({ pageSize: 10, currency: 'USD' });
      const rest = await collect(admin.billing.usageHistory({ cursor: first.nextCursor as string }));
      expect([...first.data, ...rest]).toEqual(entries);
    });

    it('exports the same pages as CSV', async () => {
      const json = await admin.billing.usageHistoryPage({ pageSize: 10 });
      const csv = await admin.billing.usageHistoryCsv({ pageSize: 10 });
      expect(csv.nextCursor).toBe(json.nextCursor);
      const rows = parse(csv.csv, { columns: true }) as Record<string, string>[];
      expect(rows.map((r) => [r.timestamp, r.sku, Number(r.amount), r.requestId])).toEqual(
        json.data.map((e) => [e.timestamp, e.sku, e.amount, e.inferenceDetails?.requestId]),
      );
      const next = await admin.billing.usageHistoryCsv({ cursor: csv.nextCursor as string });
      expect(parse(next.csv, { columns: true })).toHaveLength(10);
    });

    it('stops a walk when aborted, and surfaces a refused cursor as BadRequestError', async () => {
      const controller = new AbortController();
      const seen: BillingUsageEntry[] = [];
      const aborted = await (async () => {
        for await (const e of admin.billing.usageHistory({ pageSize: 10 }, { signal: controller.signal })) {
          seen.push(e);
          if (seen.length === 12) controller.abort();
        }
      })().catch((e: unknown) => e);
      expect(aborted).toBeInstanceOf(APIUserAbortError);
      expect(seen).toHaveLength(12);

      const { nextCursor } = await admin.billing.usageHistoryPage({ pageSize: 10 });
      const other = await g.account(0);
      const foreign = new VeniceClient({ apiKey: other.adminKey, baseURL, maxRetries: 0 });
      const refused = await foreign.billing.usageHistoryPage({ cursor: nextCursor as string }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(BadRequestError);
      expect((refused as BadRequestError).message).toContain('cursor: Invalid cursor');
      expect(await inference.billing.usageHistoryPage().catch((e: unknown) => e)).toBeInstanceOf(AuthenticationError);
    });

    it('reports analytics that match the history, all keys for ADMIN and its own for INFERENCE', async () => {
      const entries = await collect(admin.billing.usageHistory());
      const spent = (list: BillingUsageEntry[]) => -list.reduce((a, e) => a + Math.round(e.amount * 1e6), 0) / 1e6;
      const all = await admin.billing.usageAnalytics({ lookback: '1d' });
      expect(all.lookback).toBe('1d');
      expect(all.byDate).toEqual([{ date: '2026-01-15', USD: spent(entries), DIEM: 0 }]);
      expect(all.byKey.map((k) => k.description).sort()).toEqual(['e2e inference', 'e2e other']);
      expect(all.byModel.map((m) => m.modelName)).toEqual(['chat']);

      const own = await inference.billing.usageAnalytics({ startDate: '2026-01-14', endDate: '2026-01-15' });
      expect(own.lookback).toBe('2026-01-14:2026-01-15');
      expect(own.byKey.map((k) => k.description)).toEqual(['e2e inference']);
      const mine = entries.filter((e) => e.apiKeyId === own.byKey[0]?.apiKeyId);
      expect(own.byKey[0]?.totalUsd).toBeCloseTo(spent(mine), 9);
      expect(own.byDate.map((d) => d.date)).toEqual(['2026-01-15', '2026-01-14']);
    });
  });
}
