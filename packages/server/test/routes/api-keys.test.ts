import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/storage/types.js';
import { bearer, buildTestApp, newAccount, newKey, type TestAccount } from '../support/app.js';
import type { ManualClock } from '../support/clock.js';
import { useTestApp } from '../support/fixture.js';
import { storeFactories } from '../support/stores.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const json = { 'content-type': 'application/json' };

for (const factory of storeFactories) {
  const available = await factory.available();
  describe.skipIf(!available)(`admin API on ${factory.name}`, () => {
    const t = useTestApp(factory);

    const get = (url: string, secret: string) => t.app.inject({ method: 'GET', url, headers: bearer(secret) });
    const send = (method: 'POST' | 'PATCH' | 'DELETE', url: string, secret: string, body?: unknown, headers = {}) =>
      t.app.inject({
        method,
        url,
        headers: { ...bearer(secret), ...json, ...headers },
        payload: body === undefined ? undefined : JSON.stringify(body),
      });
    const create = (acct: TestAccount, body: unknown, headers = {}) =>
      send('POST', '/api/v1/api_keys', acct.adminKey, body, headers);

    describe('POST /api_keys', () => {
      it('creates a key and returns the secret once, with the exact wire shape', async () => {
        const acct = await newAccount(t);
        const res = await create(acct, {
          apiKeyType: 'INFERENCE',
          description: 'backend prod',
          expiresAt: '2026-12-31T23:59:59Z',
          consumptionLimit: { usd: 50, diem: 10 },
          limitPeriod: 'MONTH',
          modelPrivacy: 'PRIVATE_ONLY',
        });
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expect(res.headers['x-request-id']).toBeTruthy();
        const body = res.json();
        expect(body).toEqual({
          success: true,
          data: {
            id: expect.stringMatching(UUID),
            apiKey: expect.stringMatching(/^VENICE_INFERENCE_KEY_[A-Za-z0-9]{44}$/),
            apiKeyType: 'INFERENCE',
            description: 'backend prod',
            expiresAt: '2026-12-31T23:59:59.000Z',
            consumptionLimit: { usd: 50, diem: 10, vcu: null },
            limitPeriod: 'MONTH',
            modelPrivacy: 'PRIVATE_ONLY',
          },
        });
        expect(Object.keys(body.data)).toEqual([
          'id',
          'apiKey',
          'apiKeyType',
          'description',
          'expiresAt',
          'consumptionLimit',
          'limitPeriod',
          'modelPrivacy',
        ]);
        // The secret authenticates, and is never shown again.
        const listed = await get('/api/v1/api_keys', acct.adminKey);
        expect(listed.body).not.toContain(body.data.apiKey);
        expect((await get('/api/v1/api_keys/rate_limits', body.data.apiKey)).statusCode).toBe(200);
      });

      it('applies defaults, echoes 0 exactly, ignores vcu and rounds limits half up to 6 decimals', async () => {
        const acct = await newAccount(t);
        const res = await create(acct, {
          apiKeyType: 'ADMIN',
          description: 'x',
          consumptionLimit: { usd: 0, diem: 1.0000005, vcu: 30 },
        });
        expect(res.json().data).toMatchObject({
          apiKeyType: 'ADMIN',
          expiresAt: null,
          consumptionLimit: { usd: 0, diem: 1.000001, vcu: null },
          limitPeriod: 'EPOCH',
          modelPrivacy: 'ALL',
        });
        expect(res.json().data.apiKey).toMatch(/^VENICE_ADMIN_KEY_[A-Za-z0-9]{44}$/);
        const big = await create(acct, {
          apiKeyType: 'INFERENCE',
          description: 'y',
          consumptionLimit: { usd: 9999999999, diem: null },
        });
        expect(big.json().data.consumptionLimit).toEqual({ usd: 9999999999, diem: null, vcu: null });
      });

      it.each([
        ['', null],
        ['2027-03-04', '2027-03-04T00:00:00.000Z'],
        ['2027-03-04T05:06:07Z', '2027-03-04T05:06:07.000Z'],
        ['2027-03-04T05:06:07.890Z', '2027-03-04T05:06:07.890Z'],
      ])('accepts expiresAt %j', async (expiresAt, echoed) => {
        const acct = await newAccount(t);
        const res = await create(acct, { apiKeyType: 'INFERENCE', description: 'e', expiresAt });
        expect(res.statusCode).toBe(200);
        expect(res.json().data.expiresAt).toBe(echoed);
      });

      it.each([
        '2027-02-30',
        '2027-03-04T05:06:07+02:00',
        '2027-03-04T05:06:07',
        '2027-03-04 05:06:07Z',
        '2027-13-01',
        'tomorrow',
        '2027-03-04T24:00:00Z',
      ])('refuses expiresAt %j with a validation error', async (expiresAt) => {
        const acct = await newAccount(t);
        const res = await create(acct, { apiKeyType: 'INFERENCE', description: 'e', expiresAt });
        expect(res.statusCode).toBe(400);
        expect(res.json()).toEqual({
          error: 'Invalid request parameters',
          details: {
            _errors: [],
            expiresAt: { _errors: ['Invalid date: use "", YYYY-MM-DD or YYYY-MM-DDTHH:mm:ss[.sss]Z (UTC)'] },
          },
          issues: [
            {
              code: 'custom',
              path: ['expiresAt'],
              message: 'Invalid date: use "", YYYY-MM-DD or YYYY-MM-DDTHH:mm:ss[.sss]Z (UTC)',
            },
          ],
        });
      });

      it('refuses an instant already past', async () => {
        const acct = await newAccount(t);
        const past = new Date(t.clock.now() - 1).toISOString();
        const res = await create(acct, { apiKeyType: 'INFERENCE', description: 'e', expiresAt: past });
        expect(res.statusCode).toBe(400);
        expect(res.json()).toEqual({
          error: 'Invalid request parameters',
          details: { _errors: [], expiresAt: { _errors: ['Expiry must be in the future'] } },
          issues: [{ code: 'custom', path: ['expiresAt'], message: 'Expiry must be in the future' }],
        });
      });

      it('is strict: unknown fields, wrong types and out-of-range values are 400s, nothing coerced', async () => {
        const acct = await newAccount(t);
        const unknown = await create(acct, { apiKeyType: 'INFERENCE', description: 'd', consumptionLimits: {} });
        expect(unknown.statusCode).toBe(400);
        expect(unknown.json()).toEqual({
          error: 'Invalid request parameters',
          details: { _errors: ['Unrecognized key: "consumptionLimits"'] },
          issues: [
            {
              code: 'unrecognized_keys',
              keys: ['consumptionLimits'],
              path: [],
              message: 'Unrecognized key: "consumptionLimits"',
            },
          ],
        });
        const missing = await create(acct, { description: 'd' });
        expect(missing.json()).toEqual({
          error: 'Invalid request parameters',
          details: { _errors: [], apiKeyType: { _errors: ['Invalid option: expected one of "INFERENCE"|"ADMIN"'] } },
          issues: [
            {
              code: 'invalid_value',
              values: ['INFERENCE', 'ADMIN'],
              path: ['apiKeyType'],
              message: 'Invalid option: expected one of "INFERENCE"|"ADMIN"',
            },
          ],
        });
        for (const bad of [
          { apiKeyType: 'INFERENCE', description: 'd', consumptionLimit: { usd: '5' } },
          { apiKeyType: 'INFERENCE', description: 'd', consumptionLimit: { usd: -1 } },
          { apiKeyType: 'INFERENCE', description: 'd', consumptionLimit: { usd: 10000000000 } },
          { apiKeyType: 'INFERENCE', description: 'd', consumptionLimit: { eur: 1 } },
          { apiKeyType: 'INFERENCE', description: 'x'.repeat(65) },
          { apiKeyType: 'INFERENCE', description: '' },
          { apiKeyType: 'INFERENCE', description: 'tab\there' },
          { apiKeyType: 'INFERENCE', description: 'nul\u0000' },
          { apiKeyType: 'INFERENCE', description: 'lone \ud800 surrogate' },
          { apiKeyType: 'inference', description: 'd' },
          { apiKeyType: 'INFERENCE', description: 'd', limitPeriod: 'WEEK' },
          { apiKeyType: 'INFERENCE', description: 'd', modelPrivacy: 'NONE' },
          { apiKeyType: 'INFERENCE', description: 'd', expiresAt: null },
          { apiKeyType: 'INFERENCE', description: 5 },
          [],
          'text',
          null,
        ]) {
          const res = await create(acct, bad);
          expect(res.statusCode, JSON.stringify(bad)).toBe(400);
          expect(res.json()).toMatchObject({
            error: 'Invalid request parameters',
            details: expect.any(Object),
            issues: expect.any(Array),
          });
        }
        expect((await t.services.keys.list(acct.accountId)).length).toBe(1);
      });

      it('stores unicode and SQL-looking text verbatim', async () => {
        const acct = await newAccount(t);
        for (const description of ["'; DROP TABLE api_keys; --", 'ключ 🔑 鍵', 'Robert"); --', '%_\\']) {
          const res = await create(acct, { apiKeyType: 'INFERENCE', description });
          expect(res.statusCode).toBe(200);
          const got = await get(`/api/v1/api_keys/${res.json().data.id}`, acct.adminKey);
          expect(got.json().data.description).toBe(description);
        }
      });

      it('limits creation to 20 per minute per account; validation failures and replays do not count', async () => {
        const acct = await newAccount(t); // its bootstrap ADMIN key is the first create of this minute
        t.clock.advance(60_000);
        for (let i = 0; i < 5; i++) expect((await create(acct, { apiKeyType: 'ADMIN' })).statusCode).toBe(400);
        const first = await create(acct, { apiKeyType: 'INFERENCE', description: 'k0' }, { 'idempotency-key': 'once' });
        for (let i = 1; i < 20; i++)
          expect((await create(acct, { apiKeyType: 'INFERENCE', description: `k${i}` })).statusCode).toBe(200);
        const replay = await create(
          acct,
          { apiKeyType: 'INFERENCE', description: 'k0' },
          { 'idempotency-key': 'once' },
        );
        expect(replay.json()).toEqual(first.json());
        t.clock.advance(10_000);
        const limited = await create(acct, { apiKeyType: 'INFERENCE', description: 'k20' });
        expect(limited.statusCode).toBe(429);
        expect(limited.json()).toEqual({ error: 'Too many API keys created. Please wait a minute and try again.' });
        expect(limited.headers['retry-after']).toBe('50');
        t.clock.advance(50_000);
        expect((await create(acct, { apiKeyType: 'INFERENCE', description: 'k21' })).statusCode).toBe(200);
      });

      it('caps an account at 500 active keys; revoked and expired keys do not count', async () => {
        const acct = await newAccount(t);
        const ids: string[] = [];
        for (let i = 0; i < 498; i++) {
          t.clock.advance(3_001);
          ids.push((await newKey(t, acct.accountId, { description: `bulk ${i}` })).id);
        }
        t.clock.advance(3_001);
        const expiring = await create(acct, {
          apiKeyType: 'INFERENCE',
          description: 'soon',
          expiresAt: new Date(t.clock.now() + 5_000).toISOString(),
        });
        expect(expiring.statusCode).toBe(200);
        t.clock.advance(3_001);
        const full = await create(acct, { apiKeyType: 'INFERENCE', description: 'one too many' });
        expect(full.statusCode).toBe(400);
        expect(full.json()).toEqual({ error: 'Maximum of 500 active API keys reached' });
        t.clock.advance(3_001); // the expiring key is gone now
        expect((await create(acct, { apiKeyType: 'INFERENCE', description: 'fits again' })).statusCode).toBe(200);
        t.clock.advance(3_001);
        expect((await create(acct, { apiKeyType: 'INFERENCE', description: 'full again' })).statusCode).toBe(400);
        await send('DELETE', `/api/v1/api_keys?id=${ids[0]}`, acct.adminKey);
        t.clock.advance(3_001);
        expect((await create(acct, { apiKeyType: 'INFERENCE', description: 'after revoke' })).statusCode).toBe(200);
      });
    });

    describe('Idempotency-Key on POST /api_keys', () => {
      it('replays the original response (same id, same secret) and creates nothing more', async () => {
        const acct = await newAccount(t);
        const body = { apiKeyType: 'INFERENCE', description: 'idem', consumptionLimit: { usd: 1.5 } };
        const a = await create(acct, body, { 'idempotency-key': 'abc-123' });
        const b = await create(
          acct,
          { consumptionLimit: { usd: 1.5 }, description: 'idem', apiKeyType: 'INFERENCE' },
          { 'idempotency-key': 'abc-123' },
        );
        expect(a.statusCode).toBe(200);
        expect(b.json()).toEqual(a.json());
        expect((await t.services.keys.list(acct.accountId)).length).toBe(2);
      });

      it('answers 409 to the same key with a different body, and scopes keys to the account', async () => {
        const acct = await newAccount(t);
        const other = await newAccount(t);
        await create(acct, { apiKeyType: 'INFERENCE', description: 'one' }, { 'idempotency-key': 'k' });
        const conflict = await create(
          acct,
          { apiKeyType: 'INFERENCE', description: 'two' },
          { 'idempotency-key': 'k' },
        );
        expect(conflict.statusCode).toBe(409);
        expect(conflict.json()).toEqual({ error: 'Idempotency-Key was already used with a different request' });
        const foreign = await create(
          other,
          { apiKeyType: 'INFERENCE', description: 'one' },
          { 'idempotency-key': 'k' },
        );
        expect(foreign.statusCode).toBe(200);
      });

      it('forgets a key after 24 hours', async () => {
        const acct = await newAccount(t);
        const a = await create(acct, { apiKeyType: 'INFERENCE', description: 'day' }, { 'idempotency-key': 'daily' });
        t.clock.advance(24 * 3_600_000 + 1);
        const b = await create(acct, { apiKeyType: 'INFERENCE', description: 'day' }, { 'idempotency-key': 'daily' });
        expect(b.json().data.id).not.toBe(a.json().data.id);
      });

      it('refuses an Idempotency-Key over 255 characters', async () => {
        const acct = await newAccount(t);
        const res = await create(
          acct,
          { apiKeyType: 'INFERENCE', description: 'd' },
          { 'idempotency-key': 'x'.repeat(256) },
        );
        expect(res.statusCode).toBe(400);
        expect(res.json().error).toBe('Invalid request parameters');
      });
    });

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

    describe('PATCH /api_keys', () => {
      it('changes only the fields sent and answers without usage', async () => {
        const acct = await newAccount(t);
        const key = await newKey(t, acct.accountId, { limitUsd: 5_000_000n, limitDiem: 7_000_000n });
        const res = await send('PATCH', '/api/v1/api_keys', acct.adminKey, {
          id: key.id,
          description: 'renamed',
          consumptionLimit: { usd: 100 },
          limitPeriod: 'LIFETIME',
        });
        expect(res.statusCode).toBe(200);
        expect(res.json()).toEqual({
          success: true,
          data: {
            id: key.id,
            apiKeyType: 'INFERENCE',
            description: 'renamed',
            createdAt: expect.stringMatching(ISO),
            expiresAt: null,
            lastUsedAt: null,
            last6Chars: key.secret.slice(-6),
            consumptionLimits: { usd: 100, diem: 7, vcu: null },
            limitPeriod: 'LIFETIME',
            modelPrivacy: 'ALL',
          },
        });
        const cleared = await send('PATCH', '/api/v1/api_keys', acct.adminKey, {
          id: key.id,
          consumptionLimit: { diem: null },
        });
        expect(cleared.json().data.consumptionLimits).toEqual({ usd: 100, diem: null, vcu: null });
      });

      it('sets and removes expiry with "" and null', async () => {
        const acct = await newAccount(t);
        const key = await newKey(t, acct.accountId);
        const set = await send('PATCH', '/api/v1/api_keys', acct.adminKey, { id: key.id, expiresAt: '2030-01-01' });
        expect(set.json().data.expiresAt).toBe('2030-01-01T00:00:00.000Z');
        for (const expiresAt of ['', null]) {
          await send('PATCH', '/api/v1/api_keys', acct.adminKey, { id: key.id, expiresAt: '2030-01-01' });
          const res = await send('PATCH', '/api/v1/api_keys', acct.adminKey, { id: key.id, expiresAt });
          expect(res.json().data.expiresAt).toBeNull();
        }
      });

      it('refuses apiKeyType, a missing id, and unknown/foreign/revoked/expired ids', async () => {
        const acct = await newAccount(t);
        const other = await newAccount(t);
        const key = await newKey(t, acct.accountId);
        const typeChange = await send('PATCH', '/api/v1/api_keys', acct.adminKey, { id: key.id, apiKeyType: 'ADMIN' });
        expect(typeChange.statusCode).toBe(400);
        expect(typeChange.json().issues).toEqual([
          { code: 'unrecognized_keys', keys: ['apiKeyType'], path: [], message: 'Unrecognized key: "apiKeyType"' },
        ]);
        const noId = await send('PATCH', '/api/v1/api_keys', acct.adminKey, { description: 'x' });
        expect(noId.statusCode).toBe(400);
        expect(noId.json().details).toEqual({
          _errors: [],
          id: { _errors: ['Invalid input: expected string, received undefined'] },
        });
        const foreign = await newKey(t, other.accountId);
        const revoked = await newKey(t, acct.accountId);
        await t.services.keys.revoke(acct.accountId, revoked.id);
        const expired = await newKey(t, acct.accountId, { expiresAt: t.clock.now() + 1 });
        t.clock.advance(1);
        for (const id of [foreign.id, revoked.id, expired.id, '00000000-0000-4000-8000-000000000000', 'nope']) {
          const res = await send('PATCH', '/api/v1/api_keys', acct.adminKey, { id, description: 'hijack' });
          expect(res.statusCode, id).toBe(404);
          expect(res.json()).toEqual({ error: 'API key not found' });
        }
        expect((await t.services.keys.get(other.accountId, foreign.id)).description).toBe('inference key');
      });

      it('refuses to let the last active ADMIN key expire', async () => {
        const acct = await newAccount(t);
        const res = await send('PATCH', '/api/v1/api_keys', acct.adminKey, {
          id: acct.adminKeyId,
          expiresAt: '2030-01-01',
        });
        expect(res.statusCode).toBe(409);
        expect(res.json()).toEqual({ error: 'Cannot revoke the last active ADMIN key of this account' });
        await newKey(t, acct.accountId, { type: 'ADMIN' });
        const ok = await send('PATCH', '/api/v1/api_keys', acct.adminKey, {
          id: acct.adminKeyId,
          expiresAt: '2030-01-01',
        });
        expect(ok.statusCode).toBe(200);
      });
    });

    describe('DELETE /api_keys', () => {
      it('revokes by query or by body (the query wins); the key stops authenticating at once', async () => {
        const acct = await newAccount(t);
        const a = await newKey(t, acct.accountId);
        const b = await newKey(t, acct.accountId);
        expect((await get('/api/v1/api_keys/rate_limits', a.secret)).statusCode).toBe(200);
        const byQuery = await send('DELETE', `/api/v1/api_keys?id=${a.id}`, acct.adminKey, { id: b.id });
        expect(byQuery.statusCode).toBe(200);
        expect(byQuery.json()).toEqual({ success: true });
        expect((await get('/api/v1/api_keys/rate_limits', a.secret)).json()).toEqual({
          error: 'Authentication failed',
        });
        expect((await get('/api/v1/api_keys/rate_limits', b.secret)).statusCode).toBe(200);
        const byBody = await send('DELETE', '/api/v1/api_keys', acct.adminKey, { id: b.id });
        expect(byBody.json()).toEqual({ success: true });
        expect((await get('/api/v1/api_keys/rate_limits', b.secret)).statusCode).toBe(401);
        const again = await send('DELETE', `/api/v1/api_keys?id=${a.id}`, acct.adminKey);
        expect(again.statusCode).toBe(404);
        expect(again.json()).toEqual({ error: 'API key not found' });
      });

      it('accepts an empty body with a JSON content type (common client behaviour)', async () => {
        const acct = await newAccount(t);
        const a = await newKey(t, acct.accountId);
        const res = await t.app.inject({
          method: 'DELETE',
          url: `/api/v1/api_keys?id=${a.id}`,
          headers: { ...bearer(acct.adminKey), ...json },
          payload: '',
        });
        expect(res.json()).toEqual({ success: true });
      });

      it('needs an id, and answers 404 for foreign ids', async () => {
        const acct = await newAccount(t);
        const other = await newAccount(t);
        const none = await send('DELETE', '/api/v1/api_keys', acct.adminKey);
        expect(none.statusCode).toBe(400);
        expect(none.json()).toEqual({
          error: 'Invalid request parameters',
          details: { _errors: [], id: { _errors: ['Invalid input: expected string, received undefined'] } },
          issues: [
            {
              expected: 'string',
              code: 'invalid_type',
              path: ['id'],
              message: 'Invalid input: expected string, received undefined',
            },
          ],
        });
        const foreign = await send('DELETE', `/api/v1/api_keys?id=${other.adminKeyId}`, acct.adminKey);
        expect(foreign.statusCode).toBe(404);
        expect((await get('/api/v1/api_keys', other.adminKey)).statusCode).toBe(200);
      });

      it('refuses to revoke the last active ADMIN key', async () => {
        const acct = await newAccount(t);
        const res = await send('DELETE', `/api/v1/api_keys?id=${acct.adminKeyId}`, acct.adminKey);
        expect(res.statusCode).toBe(409);
        expect(res.json()).toEqual({ error: 'Cannot revoke the last active ADMIN key of this account' });
        const second = await newKey(t, acct.accountId, { type: 'ADMIN' });
        expect((await send('DELETE', `/api/v1/api_keys?id=${acct.adminKeyId}`, second.secret)).statusCode).toBe(200);
        expect((await send('DELETE', `/api/v1/api_keys?id=${second.id}`, second.secret)).statusCode).toBe(409);
      });
    });

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

    describe('key lifetime', () => {
      it('an expiring key vanishes and stops authenticating at its instant', async () => {
        const acct = await newAccount(t);
        const key = await newKey(t, acct.accountId, { expiresAt: t.clock.now() + 1_000 });
        t.clock.advance(999);
        expect((await get('/api/v1/api_keys/rate_limits', key.secret)).statusCode).toBe(200);
        expect((await get(`/api/v1/api_keys/${key.id}`, acct.adminKey)).statusCode).toBe(200);
        t.clock.advance(1);
        expect((await get('/api/v1/api_keys/rate_limits', key.secret)).json()).toEqual({
          error: 'Authentication failed',
        });
        expect((await get(`/api/v1/api_keys/${key.id}`, acct.adminKey)).statusCode).toBe(404);
        const listed = (await get('/api/v1/api_keys', acct.adminKey)).json().data.map((k: { id: string }) => k.id);
        expect(listed).not.toContain(key.id);
      });

      it('records lastUsedAt at most once a minute', async () => {
        const acct = await newAccount(t);
        const key = await newKey(t, acct.accountId);
        const lastUsed = async () => (await get(`/api/v1/api_keys/${key.id}`, acct.adminKey)).json().data.lastUsedAt;
        expect(await lastUsed()).toBeNull();
        const t0 = t.clock.now();
        await get('/api/v1/api_keys/rate_limits', key.secret);
        expect(await lastUsed()).toBe(new Date(t0).toISOString());
        t.clock.advance(59_999);
        await get('/api/v1/api_keys/rate_limits', key.secret);
        expect(await lastUsed()).toBe(new Date(t0).toISOString());
        t.clock.advance(1);
        await get('/api/v1/api_keys/rate_limits', key.secret);
        expect(await lastUsed()).toBe(new Date(t0 + 60_000).toISOString());
      });
    });
  });
}
