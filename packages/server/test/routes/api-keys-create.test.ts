import { describe, expect, it } from 'vitest';
import { adminClient, UUID } from '../support/admin-client.js';
import { newAccount, newKey } from '../support/app.js';
import { useTestApp } from '../support/fixture.js';
import { storeFactories } from '../support/stores.js';

for (const factory of storeFactories) {
  const available = await factory.available();
  describe.skipIf(!available)(`admin API on ${factory.name}`, () => {
    const t = useTestApp(factory);
    const { get, send, create } = adminClient(t);

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
  });
}
