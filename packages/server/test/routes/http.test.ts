import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, newAccount, type TestAccount } from '../support/app.js';
import { useTestApp } from '../support/fixture.js';
import { sqliteFactory } from '../support/stores.js';

/** Transport-level behaviour is the same on every engine: these run on SQLite. */
describe('HTTP edge cases', () => {
  const t = useTestApp(sqliteFactory);
  let acct: TestAccount;
  beforeAll(async () => {
    acct = await newAccount(t);
  });

  const post = (
    payload: string | Buffer,
    headers: Record<string, string> = { 'content-type': 'application/json' },
    method: 'POST' | 'PATCH' = 'POST',
  ) => t.app.inject({ method, url: '/api/v1/api_keys', headers: { ...bearer(acct.adminKey), ...headers }, payload });

  it('answers malformed JSON with the contract message', async () => {
    for (const payload of ['{', '{"apiKeyType":}', 'undefined', "{'a':1}", '\u0000', '[1,]']) {
      const res = await post(payload);
      expect(res.statusCode, payload).toBe(400);
      expect(res.json()).toEqual({ error: 'Invalid JSON request' });
    }
  });

  it('answers a non-JSON content type with the contract message', async () => {
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/jsonx',
      'json',
    ]) {
      for (const method of ['POST', 'PATCH'] as const) {
        const res = await post('{"apiKeyType":"ADMIN","description":"d"}', { 'content-type': type }, method);
        expect(res.statusCode, type).toBe(400);
        expect(res.json()).toEqual({ error: "'Content-Type' must be 'application/json'" });
      }
    }
    const none = await t.app.inject({
      method: 'POST',
      url: '/api/v1/api_keys',
      headers: bearer(acct.adminKey),
      payload: '{"a":1}',
    });
    expect(none.statusCode).toBe(400);
  });

  it('accepts JSON content types with parameters and +json suffixes', async () => {
    for (const type of ['application/json; charset=utf-8', 'APPLICATION/JSON', 'application/vnd.venice+json']) {
      const res = await post('{"apiKeyType":"INFERENCE","description":"ct"}', { 'content-type': type });
      expect(res.statusCode, type).toBe(200);
    }
  });

  it('treats an empty body as no body, whatever the content type', async () => {
    const list = await t.app.inject({
      method: 'GET',
      url: '/api/v1/api_keys',
      headers: { ...bearer(acct.adminKey), 'content-type': 'application/json' },
      payload: '',
    });
    expect(list.statusCode).toBe(200);
    const create = await post('', { 'content-type': 'text/plain' });
    expect(create.statusCode).toBe(400);
    expect(create.json()).toMatchObject({ error: 'Invalid request parameters' });
  });

  it('refuses a huge body with 413 before parsing it', async () => {
    const res = await post(Buffer.alloc(1024 * 1024, 'a'));
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({ error: 'Request body is too large' });
    const nested = await post('['.repeat(60_000));
    expect(nested.statusCode).toBe(400);
  });

  it('refuses prototype keys like any unknown field', async () => {
    const res = await post('{"apiKeyType":"INFERENCE","description":"p","__proto__":{"admin":true}}');
    expect(res.statusCode).toBe(400);
    expect(res.json().issues[0]).toMatchObject({ code: 'unrecognized_keys', keys: ['__proto__'] });
  });

  it('answers unknown paths with 404 and known paths with a wrong method with 405', async () => {
    const unknown = await t.app.inject({ method: 'GET', url: '/api/v1/nope' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ error: 'Not found' });
    for (const [method, url, allow] of [
      ['PUT', '/api/v1/api_keys', 'GET, POST, PATCH, DELETE, HEAD'],
      ['POST', '/api/v1/api_keys/rate_limits', 'GET, HEAD'],
      ['DELETE', '/api/v1/api_keys/rate_limits/log', 'GET, HEAD'],
      ['POST', '/api/v1/billing/balance', 'GET, HEAD'],
      ['DELETE', '/api/v1/api_keys/00000000-0000-4000-8000-000000000000', 'GET, HEAD'],
    ] as const) {
      const res = await t.app.inject({ method, url });
      expect(res.statusCode, `${method} ${url}`).toBe(405);
      expect(res.json()).toEqual({ error: 'Method not allowed' });
      expect(res.headers.allow).toBe(allow);
    }
  });

  it('gives every response a request id, echoing a sane one from the caller', async () => {
    const minted = await t.app.inject({ method: 'GET', url: '/api/v1/nope' });
    expect(minted.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const echoed = await t.app.inject({
      method: 'GET',
      url: '/api/v1/api_keys',
      headers: { 'x-request-id': 'trace-42' },
    });
    expect(echoed.headers['x-request-id']).toBe('trace-42');
    const refused = await t.app.inject({
      method: 'GET',
      url: '/api/v1/api_keys',
      headers: { 'x-request-id': 'bad id\twith spaces' },
    });
    expect(refused.headers['x-request-id']).not.toContain('bad');
  });

  it('never answers random bodies with a 5xx or a partial write', async () => {
    const values: unknown[] = [null, true, 0, -1, 1e308, 'x', '', [], {}, [null], { id: null }, { id: 5 }, { id: [] }];
    const fields = [
      'id',
      'apiKeyType',
      'description',
      'expiresAt',
      'consumptionLimit',
      'limitPeriod',
      'modelPrivacy',
      'x',
    ];
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const before = (await t.services.keys.list(acct.accountId)).length;
    let created = 0;
    for (let i = 0; i < 300; i++) {
      const body: Record<string, unknown> = {};
      for (let f = rand(4); f > 0; f--) body[fields[rand(fields.length)] as string] = values[rand(values.length)];
      for (const method of ['POST', 'PATCH', 'DELETE'] as const) {
        const res = await t.app.inject({
          method,
          url: '/api/v1/api_keys',
          headers: { ...bearer(acct.adminKey), 'content-type': 'application/json' },
          payload: JSON.stringify(body),
        });
        expect(res.statusCode, `${method} ${JSON.stringify(body)}`).toBeLessThan(500);
        expect(res.json()).toBeTypeOf('object');
        if (method === 'POST' && res.statusCode === 200) created++;
      }
    }
    expect(created).toBe(0);
    expect((await t.services.keys.list(acct.accountId)).length).toBe(before);
  });
});
