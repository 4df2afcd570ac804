import { describe, expect, it } from 'vitest';
import { adminClient, ISO } from '../support/admin-client.js';
import { newAccount, newKey } from '../support/app.js';
import { useTestApp } from '../support/fixture.js';
import { storeFactories } from '../support/stores.js';

for (const factory of storeFactories) {
  const available = await factory.available();
  describe.skipIf(!available)(`admin API on ${factory.name}`, () => {
    const t = useTestApp(factory);
    const { get } = adminClient(t);

    describe('GET /api_keys/rate_limits', () => {
      it('describes the calling key, for any key type', async () => {
        const acct = await newAccount(t);
        await t.services.accounts.creditUsd(acct.accountId, 25_000_000n);
        const key = await newKey(t, acct.accountId, { limitUsd: 10_000_000n, expiresAt: Date.UTC(2030, 0, 1) });
        const res = await get('/api/v1/api_keys/rate_limits', key.secret);
        expect(res.statusCode).toBe(200);
        const data = res.json().data;
        expect(data).toMatchObject({
          accessPermitted: true,
          apiTier: { id: 'paid', isCharged: true },
          balances: { USD: 10, DIEM: 0 },
          keyExpiration: '2030-01-01T00:00:00.000Z',
          nextEpochBegins: new Date(Math.floor(t.clock.now() / 86_400_000 + 1) * 86_400_000).toISOString(),
        });
        expect(data.rateLimits[0]).toEqual({
          apiModelId: 'venice-uncensored',
          rateLimits: [
            {
              type: 'RPM',
              amount: 50,
              used: 0,
              remaining: 50,
              resetsAt: new Date(Math.floor(t.clock.now() / 60_000 + 1) * 60_000).toISOString(),
            },
            { type: 'RPD', amount: 20000, used: 0, remaining: 20000, resetsAt: data.nextEpochBegins },
            { type: 'TPM', amount: 1000000, used: 0, remaining: 1000000, resetsAt: expect.stringMatching(ISO) },
          ],
        });
        expect(data.rateLimits.map((m: { apiModelId: string }) => m.apiModelId)).toEqual([
          'venice-uncensored',
          'llama-3.3-70b',
          'qwen3-4b',
          'grok-41-fast',
          'text-embedding-bge-m3',
        ]);
        const admin = (await get('/api/v1/api_keys/rate_limits', acct.adminKey)).json().data;
        expect(admin.balances).toEqual({ USD: 25, DIEM: 0 });
        expect(admin.keyExpiration).toBeNull();
      });

      it('reports no access without spendable balance', async () => {
        const acct = await newAccount(t);
        const res = await get('/api/v1/api_keys/rate_limits', acct.adminKey);
        expect(res.json().data).toMatchObject({ accessPermitted: false, balances: { USD: 0, DIEM: 0 } });
      });
    });

    describe('GET /api_keys/rate_limits/log', () => {
      it('lists the last 50 breaches of the account, newest first', async () => {
        const acct = await newAccount(t);
        const other = await newAccount(t);
        expect((await get('/api/v1/api_keys/rate_limits/log', acct.adminKey)).json()).toEqual({
          object: 'list',
          data: [],
        });
        for (let i = 0; i < 55; i++) {
          await t.store.recordBreach({
            id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
            accountId: acct.accountId,
            apiKeyId: acct.adminKeyId,
            modelId: 'venice-uncensored',
            tier: 'paid',
            type: i % 2 ? 'RPM' : 'FAILED_REQUESTS',
            at: Date.UTC(2026, 0, 1) + i * 1000,
          });
        }
        await t.store.recordBreach({
          id: 'x',
          accountId: other.accountId,
          apiKeyId: other.adminKeyId,
          modelId: 'm',
          tier: 'paid',
          type: 'TPM',
          at: Date.UTC(2027, 0, 1),
        });
        const log = (await get('/api/v1/api_keys/rate_limits/log', acct.adminKey)).json();
        expect(log.object).toBe('list');
        expect(log.data).toHaveLength(50);
        expect(log.data[0]).toEqual({
          apiKeyId: acct.adminKeyId,
          modelId: 'venice-uncensored',
          rateLimitTier: 'paid',
          rateLimitType: 'FAILED_REQUESTS',
          timestamp: new Date(Date.UTC(2026, 0, 1) + 54_000).toISOString(),
        });
        expect(log.data[49].timestamp).toBe(new Date(Date.UTC(2026, 0, 1) + 5_000).toISOString());
      });
    });

    describe('GET /billing/balance', () => {
      it('reports balances, currency and whether the account can consume', async () => {
        const acct = await newAccount(t);
        const balance = () => get('/api/v1/billing/balance', acct.adminKey).then((r) => r.json());
        expect(await balance()).toEqual({
          canConsume: false,
          consumptionCurrency: null,
          balances: { diem: 0, usd: 0 },
          diemEpochAllocation: 0,
        });
        await t.services.accounts.creditUsd(acct.accountId, 99_999n);
        expect(await balance()).toEqual({
          canConsume: false,
          consumptionCurrency: 'USD',
          balances: { diem: 0, usd: 0.099999 },
          diemEpochAllocation: 0,
        });
        await t.services.accounts.creditUsd(acct.accountId, 1n);
        expect((await balance()).canConsume).toBe(true);
        await t.services.accounts.setDiemAllocation(acct.accountId, 100_000_000n);
        expect(await balance()).toEqual({
          canConsume: true,
          consumptionCurrency: 'DIEM',
          balances: { diem: 100, usd: 0.1 },
          diemEpochAllocation: 100,
        });
      });
    });
  });
}
