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

    describe('GET /api_keys', () => {
      it('lists active keys newest first with usage, exact shape', async () => {
        const acct = await newAccount(t);
        const adminCreatedAt = t.clock.now();
        t.clock.advance(1_000);
        const limited = await newKey(t, acct.accountId, {
          description: 'limited',
          limitUsd: 12_500_000n,
          limitPeriod: 'MONTH',
        });
        t.clock.advance(1_000);
        const revoked = await newKey(t, acct.accountId, { description: 'revoked' });
        await t.services.keys.revoke(acct.accountId, revoked.id);
        const res = await get('/api/v1/api_keys', acct.adminKey);
        expect(res.statusCode).toBe(200);
        expect(res.json()).toEqual({
          object: 'list',
          data: [
            {
              id: limited.id,
              apiKeyType: 'INFERENCE',
              description: 'limited',
              createdAt: new Date(adminCreatedAt + 1_000).toISOString(),
              expiresAt: null,
              lastUsedAt: null,
              last6Chars: limited.secret.slice(-6),
              consumptionLimits: { usd: 12.5, diem: null, vcu: null },
              limitPeriod: 'MONTH',
              modelPrivacy: 'ALL',
              usage: { trailingSevenDays: { usd: '0.0000', diem: '0.0000', vcu: '0.0000' } },
              currentPeriodUsage: { usd: '0.0000', diem: '0.0000' },
            },
            {
              id: acct.adminKeyId,
              apiKeyType: 'ADMIN',
              description: 'Initial admin key',
              createdAt: new Date(adminCreatedAt).toISOString(),
              expiresAt: null,
              lastUsedAt: new Date(t.clock.now()).toISOString(),
              last6Chars: acct.adminKey.slice(-6),
              consumptionLimits: { usd: null, diem: null, vcu: null },
              limitPeriod: 'EPOCH',
              modelPrivacy: 'ALL',
              usage: { trailingSevenDays: { usd: '0.0000', diem: '0.0000', vcu: '0.0000' } },
            },
          ],
        });
      });

      it('reports trailing-seven-day and current-period usage with 4 decimals, and what a key may still spend', async () => {
        t.clock.set(Date.UTC(2026, 5, 20, 10));
        const acct = await newAccount(t);
        await t.services.accounts.creditUsd(acct.accountId, 500_000_000n);
        await t.services.accounts.setDiemAllocation(acct.accountId, 10_000_000n);
        const a = await newKey(t, acct.accountId, { limitUsd: 150_000_000n, limitPeriod: 'MONTH' });
        const b = await newKey(t, acct.accountId);
        const day = (y: number, m: number, d: number) => Date.UTC(y, m, d) / 86_400_000;
        await t.store.recordSpend(acct.accountId, a.id, day(2026, 5, 20), { usd: 1_234_560n, diem: 500_000n });
        await t.store.recordSpend(acct.accountId, a.id, day(2026, 5, 14), { usd: 2_000_000n, diem: 0n });
        await t.store.recordSpend(acct.accountId, a.id, day(2026, 5, 13), { usd: 100_000_000n, diem: 0n });
        await t.store.recordSpend(acct.accountId, a.id, day(2026, 4, 31), { usd: 1_000_000_000n, diem: 0n });
        await t.store.recordSpend(acct.accountId, b.id, day(2026, 5, 20), { usd: 50n, diem: 0n });
        const got = await get(`/api/v1/api_keys/${a.id}`, acct.adminKey);
        expect(got.json().data.usage).toEqual({ trailingSevenDays: { usd: '3.2346', diem: '0.5000', vcu: '0.0000' } });
        expect(got.json().data.currentPeriodUsage).toEqual({ usd: '103.2346', diem: '0.5000' });
        const listed = (await get('/api/v1/api_keys', acct.adminKey)).json().data;
        const listedB = listed.find((k: { id: string }) => k.id === b.id);
        expect(listedB.usage.trailingSevenDays.usd).toBe('0.0001');
        expect(listedB).not.toHaveProperty('currentPeriodUsage');
        expect(listed.find((k: { id: string }) => k.id === a.id).currentPeriodUsage).toEqual({
          usd: '103.2346',
          diem: '0.5000',
        });
        const limits = (await get('/api/v1/api_keys/rate_limits', a.secret)).json().data;
        expect(limits).toMatchObject({ accessPermitted: true, balances: { USD: 46.76544, DIEM: 9.5 } });
        const balance = (await get('/api/v1/billing/balance', acct.adminKey)).json();
        expect(balance).toEqual({
          canConsume: true,
          consumptionCurrency: 'DIEM',
          balances: { diem: 9.5, usd: 500 },
          diemEpochAllocation: 10,
        });
      });

      it('pages with page and limit, and validates them', async () => {
        const acct = await newAccount(t);
        const ids = [acct.adminKeyId];
        for (let i = 0; i < 4; i++) {
          t.clock.advance(1);
          ids.unshift((await newKey(t, acct.accountId)).id);
        }
        const page = async (q: string) =>
          (await get(`/api/v1/api_keys?${q}`, acct.adminKey)).json().data.map((k: { id: string }) => k.id);
        expect(await page('page=1&limit=2')).toEqual(ids.slice(0, 2));
        expect(await page('page=2&limit=2')).toEqual(ids.slice(2, 4));
        expect(await page('page=3&limit=2')).toEqual(ids.slice(4));
        expect(await page('page=4&limit=2')).toEqual([]);
        expect(await page('limit=3')).toEqual(ids.slice(0, 3));
        expect(await page('page=1')).toEqual(ids);
        for (const q of ['page=0', 'limit=0', 'limit=501', 'page=1.5', 'page=abc', 'limit=-1', 'page=1&page=2']) {
          const res = await get(`/api/v1/api_keys?${q}`, acct.adminKey);
          expect(res.statusCode, q).toBe(400);
          expect(res.json().error).toBe('Invalid request parameters');
        }
      });

      it('breaks creation-time ties by id', async () => {
        const acct = await newAccount(t);
        const a = await newKey(t, acct.accountId);
        const b = await newKey(t, acct.accountId);
        const listed = (await get('/api/v1/api_keys', acct.adminKey)).json().data.map((k: { id: string }) => k.id);
        expect(listed).toEqual([acct.adminKeyId, a.id, b.id].sort().reverse());
      });
    });

    describe('GET /api_keys/{id}', () => {
      it('returns the key wrapped in data', async () => {
        const acct = await newAccount(t);
        const key = await newKey(t, acct.accountId, {
          description: 'one',
          limitDiem: 3_000_000n,
          modelPrivacy: 'PRIVATE_TEXT',
        });
        const res = await get(`/api/v1/api_keys/${key.id}`, acct.adminKey);
        expect(res.statusCode).toBe(200);
        expect(res.json()).toEqual({
          data: {
            id: key.id,
            apiKeyType: 'INFERENCE',
            description: 'one',
            createdAt: expect.stringMatching(ISO),
            expiresAt: null,
            lastUsedAt: null,
            last6Chars: key.secret.slice(-6),
            consumptionLimits: { usd: null, diem: 3, vcu: null },
            limitPeriod: 'EPOCH',
            modelPrivacy: 'PRIVATE_TEXT',
            usage: { trailingSevenDays: { usd: '0.0000', diem: '0.0000', vcu: '0.0000' } },
            currentPeriodUsage: { usd: '0.0000', diem: '0.0000' },
          },
        });
      });

      it('answers 404 for unknown, malformed, foreign, revoked and expired ids alike', async () => {
        const acct = await newAccount(t);
        const other = await newAccount(t);
        const foreign = await newKey(t, other.accountId);
        const revoked = await newKey(t, acct.accountId);
        await t.services.keys.revoke(acct.accountId, revoked.id);
        const expiring = await newKey(t, acct.accountId, { expiresAt: t.clock.now() + 10 });
        t.clock.advance(10);
        for (const id of [
          '00000000-0000-4000-8000-000000000000',
          'not-a-uuid',
          "1' OR '1'='1",
          foreign.id,
          revoked.id,
          expiring.id,
          '%00',
        ]) {
          const res = await get(`/api/v1/api_keys/${encodeURIComponent(id)}`, acct.adminKey);
          expect(res.statusCode, id).toBe(404);
          expect(res.json()).toEqual({ error: 'API key not found' });
        }
      });
    });
  });
}
