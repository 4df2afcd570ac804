import { beforeAll, describe, expect, it } from 'vitest';
import { newAccount, newKey, type TestAccount } from '../support/app.js';
import { useTestApp } from '../support/fixture.js';
import { storeFactories } from '../support/stores.js';

interface RouteCase {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Builds the URL and body for an account whose key ids are given. */
  request(ids: { own: string; foreign: string }): { url: string; body?: unknown };
  admin: boolean;
  /** Whether the route names a key id (then a foreign id must be a 404). */
  takesId: boolean;
}

const ROUTES: Record<string, RouteCase> = {
  'GET /api_keys': { method: 'GET', request: () => ({ url: '/api/v1/api_keys' }), admin: true, takesId: false },
  'POST /api_keys': {
    method: 'POST',
    request: () => ({ url: '/api/v1/api_keys', body: { apiKeyType: 'INFERENCE', description: 'matrix' } }),
    admin: true,
    takesId: false,
  },
  'PATCH /api_keys': {
    method: 'PATCH',
    request: ({ foreign }) => ({ url: '/api/v1/api_keys', body: { id: foreign, description: 'hijack' } }),
    admin: true,
    takesId: true,
  },
  'DELETE /api_keys': {
    method: 'DELETE',
    request: ({ foreign }) => ({ url: `/api/v1/api_keys?id=${foreign}` }),
    admin: true,
    takesId: true,
  },
  'GET /api_keys/{id}': {
    method: 'GET',
    request: ({ foreign }) => ({ url: `/api/v1/api_keys/${foreign}` }),
    admin: true,
    takesId: true,
  },
  'GET /api_keys/rate_limits': {
    method: 'GET',
    request: () => ({ url: '/api/v1/api_keys/rate_limits' }),
    admin: false,
    takesId: false,
  },
  'GET /api_keys/rate_limits/log': {
    method: 'GET',
    request: () => ({ url: '/api/v1/api_keys/rate_limits/log' }),
    admin: true,
    takesId: false,
  },
  'GET /billing/balance': {
    method: 'GET',
    request: () => ({ url: '/api/v1/billing/balance' }),
    admin: true,
    takesId: false,
  },
};

for (const factory of storeFactories) {
  const available = await factory.available();
  describe.skipIf(!available)(`security matrix on ${factory.name}`, () => {
    const t = useTestApp(factory);
    let acct: TestAccount;
    let other: TestAccount;
    let inference: string;
    let revoked: string;
    let expired: string;
    let foreignKeyId: string;

    beforeAll(async () => {
      acct = await newAccount(t);
      other = await newAccount(t);
      inference = (await newKey(t, acct.accountId)).secret;
      const r = await newKey(t, acct.accountId, { type: 'ADMIN' });
      await t.services.keys.revoke(acct.accountId, r.id);
      revoked = r.secret;
      expired = (await newKey(t, acct.accountId, { type: 'ADMIN', expiresAt: t.clock.now() + 1 })).secret;
      t.clock.advance(1);
      foreignKeyId = (await newKey(t, other.accountId, { description: 'untouchable' })).id;
    });

    const call = (route: RouteCase, authorization: string | undefined) => {
      const { url, body } = route.request({ own: acct.adminKeyId, foreign: foreignKeyId });
      return t.app.inject({
        method: route.method,
        url,
        headers: {
          ...(authorization === undefined ? {} : { authorization }),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
    };

    for (const [name, route] of Object.entries(ROUTES)) {
      describe(name, () => {
        it('needs credentials', async () => {
          // The last one is a bare secret without the Bearer scheme.
          for (const header of [undefined, '', 'Basic dXNlcjpwYXNz', 'Bearer', 'Bearer ', 'Token abc', acct.adminKey]) {
            const res = await call(route, header);
            expect(res.statusCode, String(header)).toBe(401);
            expect(res.json()).toEqual({ error: 'Authentication required' });
          }
        });

        it('refuses unknown, malformed, revoked and expired keys alike', async () => {
          const unknown = `VENICE_ADMIN_KEY_${'A'.repeat(44)}`;
          for (const secret of [unknown, 'VENICE_ADMIN_KEY_short', 'garbage', `${acct.adminKey}x`, revoked, expired]) {
            const res = await call(route, `Bearer ${secret}`);
            expect(res.statusCode).toBe(401);
            expect(res.json()).toEqual({ error: 'Authentication failed' });
          }
        });

        it(route.admin ? 'refuses an INFERENCE key' : 'accepts an INFERENCE key', async () => {
          const res = await call(route, `Bearer ${inference}`);
          if (route.admin) {
            expect(res.statusCode).toBe(401);
            expect(res.json()).toEqual({ error: 'Admin API key required' });
          } else {
            expect(res.statusCode).toBe(200);
          }
        });

        if (route.takesId) {
          it("treats another account's key id exactly like an unknown one", async () => {
            const res = await call(route, `Bearer ${acct.adminKey}`);
            expect(res.statusCode).toBe(404);
            expect(res.json()).toEqual({ error: 'API key not found' });
            expect((await t.services.keys.get(other.accountId, foreignKeyId)).description).toBe('untouchable');
          });
        } else {
          it('serves the owner', async () => {
            const res = await call(route, `Bearer ${acct.adminKey}`);
            expect(res.statusCode).toBe(200);
            expect(res.headers['content-type']).toMatch(/^application\/json/);
          });
        }
      });
    }

    it('accepts the scheme case-insensitively', async () => {
      const res = await t.app.inject({
        method: 'GET',
        url: '/api/v1/api_keys',
        headers: { authorization: `bearer ${acct.adminKey}` },
      });
      expect(res.statusCode).toBe(200);
    });
  });
}
