import { describe, expect, it } from 'vitest';
import { adminClient, ISO, json } from '../support/admin-client.js';
import { bearer, newAccount, newKey } from '../support/app.js';
import { useTestApp } from '../support/fixture.js';
import { storeFactories } from '../support/stores.js';

for (const factory of storeFactories) {
  const available = await factory.available();
  describe.skipIf(!available)(`admin API on ${factory.name}`, () => {
    const t = useTestApp(factory);
    const { get, send } = adminClient(t);

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
