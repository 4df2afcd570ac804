import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inferenceInput } from '../support/app.js';
import { sqliteFactory } from '../support/stores.js';
import { chatBody, type Gateway, startGateway } from './harness.js';

/** Every credential an inference route must refuse, and what it answers. */
describe('credentials on the inference routes', () => {
  let g: Gateway;
  let good: string;
  let admin: string;
  let revoked: string;
  let expired: string;
  beforeAll(async () => {
    g = await startGateway(sqliteFactory);
    const acct = await g.account(1);
    admin = acct.adminKey;
    good = await g.key(acct.accountId);
    const r = await g.services.keys.create(acct.accountId, inferenceInput());
    await g.services.keys.revoke(acct.accountId, r.key.id);
    revoked = r.secret;
    expired = await g.key(acct.accountId, { expiresAt: g.clock.now() + 1_000 });
    g.clock.advance(2_000);
  });
  afterAll(() => g?.close());

  const routes = [
    ['/api/v1/chat/completions', chatBody()],
    ['/api/v1/embeddings', { model: 'embed', input: 'x' }],
  ] as const;

  const refused = (): [string, () => Record<string, string>, string][] => [
    ['no Authorization header', () => ({}), 'Authentication required'],
    ['a Basic header', () => ({ authorization: 'Basic dXNlcjpwYXNz' }), 'Authentication required'],
    ['Bearer without a secret', () => ({ authorization: 'Bearer' }), 'Authentication required'],
    ['an unknown secret', () => ({ authorization: 'Bearer VENICE_INFERENCE_KEY_nope' }), 'Authentication failed'],
    ['a revoked key', () => ({ authorization: `Bearer ${revoked}` }), 'Authentication failed'],
    ['an expired key', () => ({ authorization: `Bearer ${expired}` }), 'Authentication failed'],
  ];

  for (const [url, payload] of routes) {
    for (const [what, headers, error] of refused()) {
      it(`${url}: ${what} → 401 ${error}, and the upstream is never called`, async () => {
        const before = (await g.upstream.stats()).requests;
        const res = await g.app.inject({ method: 'POST', url, headers: headers(), payload });
        expect(res.statusCode).toBe(401);
        expect(res.json()).toEqual({ error });
        expect(res.headers['x-request-id']).toBeTruthy();
        expect((await g.upstream.stats()).requests).toBe(before);
      });
    }

    it(`${url}: INFERENCE and ADMIN keys are both accepted`, async () => {
      for (const secret of [good, admin]) {
        const res = await g.app.inject({
          method: 'POST',
          url,
          headers: { authorization: `Bearer ${secret}` },
          payload,
        });
        expect(res.statusCode).toBe(200);
      }
    });
  }

  it('/api/v1/models ignores credentials that do not authenticate (it needs none)', async () => {
    for (const [, headers] of refused()) {
      const res = await g.app.inject({ method: 'GET', url: '/api/v1/models', headers: headers() });
      expect(res.statusCode).toBe(200);
    }
  });

  it('a known inference path with another method is a 405', async () => {
    const res = await g.app.inject({ method: 'GET', url: '/api/v1/chat/completions' });
    expect(res.statusCode).toBe(405);
  });
});
