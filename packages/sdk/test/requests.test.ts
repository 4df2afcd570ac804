import { describe, expect, it } from 'vitest';
import { VeniceError } from '../src/index.js';
import { ADMIN, CREATED, client, fakeFetch, json, KEY, WALLET } from './support.js';

/** The exact request each method sends, and what it returns. */
describe('requests per method', () => {
  it('list: GET /api_keys, query only when given, unwraps data', async () => {
    const f = fakeFetch(json(200, { object: 'list', data: [KEY] }));
    const c = client(f.fetch);
    expect(await c.apiKeys.list()).toEqual([KEY]);
    await c.apiKeys.list({ page: 2, limit: 50 });
    expect(f.requests.map((r) => [r.method, r.url])).toEqual([
      ['GET', 'http://test.local/api/v1/api_keys'],
      ['GET', 'http://test.local/api/v1/api_keys?page=2&limit=50'],
    ]);
    expect(f.requests[0]?.headers).toEqual({
      accept: 'application/json',
      authorization: `Bearer ${ADMIN}`,
      'x-venice-sdk': 'venice-keys-ts/0.1.0',
    });
    expect(f.requests[0]?.body).toBeUndefined();
  });

  it('create: POST /api_keys with the params as body and an Idempotency-Key', async () => {
    const f = fakeFetch(json(200, { success: true, data: CREATED }));
    const params = {
      apiKeyType: 'INFERENCE',
      description: 'backend prod',
      consumptionLimit: { usd: 50 },
      expiresAt: '2027-01-01',
    } as const;
    expect(await client(f.fetch).apiKeys.create(params)).toEqual(CREATED);
    const req = f.requests[0]!;
    expect([req.method, req.url, req.body]).toEqual(['POST', 'http://test.local/api/v1/api_keys', params]);
    expect(req.headers).toEqual({
      accept: 'application/json',
      authorization: `Bearer ${ADMIN}`,
      'content-type': 'application/json',
      'idempotency-key': expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      'x-venice-sdk': 'venice-keys-ts/0.1.0',
    });
    await client(f.fetch).apiKeys.create(params, { idempotencyKey: 'mine' });
    expect(f.requests[1]?.headers['idempotency-key']).toBe('mine');
  });

  it('update: PATCH /api_keys with only the fields given; null clears expiry', async () => {
    const f = fakeFetch(json(200, { success: true, data: KEY }));
    const c = client(f.fetch);
    expect(await c.apiKeys.update({ id: KEY.id, expiresAt: null, consumptionLimit: { diem: null } })).toEqual(KEY);
    await c.apiKeys.update({ id: KEY.id, expiresAt: '' });
    expect(f.requests.map((r) => [r.method, r.url, r.body])).toEqual([
      ['PATCH', 'http://test.local/api/v1/api_keys', { id: KEY.id, expiresAt: null, consumptionLimit: { diem: null } }],
      ['PATCH', 'http://test.local/api/v1/api_keys', { id: KEY.id, expiresAt: '' }],
    ]);
    expect(f.requests[0]?.headers['idempotency-key']).toBeUndefined();
  });

  it('delete: DELETE /api_keys?id=… with no body', async () => {
    const f = fakeFetch(json(200, { success: true }));
    expect(await client(f.fetch).apiKeys.delete('a b/c')).toEqual({ success: true });
    expect(f.requests[0]).toMatchObject({
      method: 'DELETE',
      url: 'http://test.local/api/v1/api_keys?id=a+b%2Fc',
      body: undefined,
    });
    expect(f.requests[0]?.headers['content-type']).toBeUndefined();
  });

  it('retrieve: GET /api_keys/{id} with the id encoded, unwraps data', async () => {
    const f = fakeFetch(json(200, { data: KEY }));
    expect(await client(f.fetch).apiKeys.retrieve('../x?y')).toEqual(KEY);
    expect(f.requests[0]?.url).toBe('http://test.local/api/v1/api_keys/..%2Fx%3Fy');
  });

  it('rate limits, their log, and the billing balance', async () => {
    const limits = {
      accessPermitted: true,
      apiTier: { id: 'paid', isCharged: true },
      balances: { USD: 1, DIEM: 2 },
      keyExpiration: null,
      nextEpochBegins: '2026-01-01T00:00:00.000Z',
      rateLimits: [{ apiModelId: 'm', rateLimits: [{ type: 'RPM', amount: 5 }] }],
    };
    const log = {
      object: 'list',
      data: [{ apiKeyId: 'k', modelId: 'm', rateLimitTier: 'paid', rateLimitType: 'RPM', timestamp: 't' }],
    };
    const balance = {
      canConsume: true,
      consumptionCurrency: 'USD',
      balances: { diem: 0, usd: 3 },
      diemEpochAllocation: 0,
    };
    const f = fakeFetch(json(200, { data: limits }), json(200, log), json(200, balance));
    const c = client(f.fetch);
    expect(await c.apiKeys.getRateLimits()).toEqual(limits);
    expect(await c.apiKeys.getRateLimitLogs()).toEqual(log);
    expect(await c.billing.getBalance()).toEqual(balance);
    expect(f.requests.map((r) => r.url)).toEqual([
      'http://test.local/api/v1/api_keys/rate_limits',
      'http://test.local/api/v1/api_keys/rate_limits/log',
      'http://test.local/api/v1/billing/balance',
    ]);
  });

  it('web3: getWeb3Token unwraps to { token }, createWeb3Key posts the proof and returns the key', async () => {
    const f = fakeFetch(
      json(200, { success: true, data: { token: 'aaa.bbb.ccc' } }),
      json(200, { success: true, data: CREATED }),
    );
    const c = client(f.fetch, { apiKey: null });
    expect(await c.apiKeys.getWeb3Token()).toEqual({ token: 'aaa.bbb.ccc' });
    const params = { address: WALLET, signature: '0xsig', token: 'aaa.bbb.ccc', apiKeyType: 'INFERENCE' } as const;
    expect(await c.apiKeys.createWeb3Key(params)).toEqual(CREATED);
    expect(f.requests.map((r) => [r.method, r.url, r.body])).toEqual([
      ['GET', 'http://test.local/api/v1/api_keys/generate_web3_key', undefined],
      ['POST', 'http://test.local/api/v1/api_keys/generate_web3_key', params],
    ]);
    // No key configured: no Authorization header; a mint is not a create, so no Idempotency-Key.
    expect(f.requests[1]?.headers).toEqual({
      accept: 'application/json',
      'content-type': 'application/json',
      'x-venice-sdk': 'venice-keys-ts/0.1.0',
    });
  });

  it('mintWeb3Key signs the exact token with a viem-style or an ethers-style signer', async () => {
    let issued = 0;
    const f = fakeFetch((req) =>
      req.method === 'GET'
        ? json(200, { success: true, data: { token: `jwt-${++issued}` } })
        : json(200, { success: true, data: CREATED }, { 'x-request-id': `mint-${issued}` }),
    );
    const c = client(f.fetch, { apiKey: null });
    const signed: unknown[] = [];
    const viemLike = {
      type: 'local',
      address: WALLET,
      signMessage: async (args: { message: string }) => {
        signed.push(args);
        return `viem:${args.message}`;
      },
    };
    expect(
      await c.apiKeys.mintWeb3Key({ signer: viemLike, apiKeyType: 'INFERENCE', consumptionLimit: { diem: 5 } }),
    ).toEqual(CREATED);
    const OTHER = `0x${'d'.repeat(40)}`;
    const ethersLike = {
      getAddress: async () => OTHER,
      signMessage: async (message: string) => {
        signed.push(message);
        return `ethers:${message}`;
      },
    };
    const { data, requestID } = await c.apiKeys
      .mintWeb3Key({ signer: ethersLike, apiKeyType: 'ADMIN', description: 'bot' })
      .withResponse();
    expect(data).toEqual(CREATED);
    expect(requestID).toBe('mint-2');
    // A contract wallet: the owner signs, the wallet's address is given.
    await c.apiKeys.mintWeb3Key({
      signer: { address: OTHER, signMessage: async (m: string) => `owner:${m}` },
      address: WALLET,
      apiKeyType: 'INFERENCE',
    });
    expect(signed).toEqual([{ message: 'jwt-1' }, 'jwt-2']);
    expect(f.requests.map((r) => r.method)).toEqual(['GET', 'POST', 'GET', 'POST', 'GET', 'POST']);
    expect(f.requests.filter((r) => r.method === 'POST').map((r) => r.body)).toEqual([
      {
        address: WALLET,
        signature: 'viem:jwt-1',
        token: 'jwt-1',
        apiKeyType: 'INFERENCE',
        consumptionLimit: { diem: 5 },
      },
      { address: OTHER, signature: 'ethers:jwt-2', token: 'jwt-2', apiKeyType: 'ADMIN', description: 'bot' },
      { address: WALLET, signature: 'owner:jwt-3', token: 'jwt-3', apiKeyType: 'INFERENCE' },
    ]);
  });

  it('says so when a success body is not the shape this API sends', async () => {
    const f = fakeFetch(
      json(200, { success: true }),
      new Response('', { status: 200 }),
      new Response('<html>', { status: 200 }),
    );
    const c = client(f.fetch);
    await expect(c.apiKeys.retrieve(KEY.id)).rejects.toThrow(
      /Unexpected response body: expected an object with "data", got \{"success":true\}/,
    );
    await expect(c.apiKeys.getRateLimits()).rejects.toThrow(/got an empty body/);
    const e = await c.apiKeys.list().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(VeniceError);
    expect((e as Error).message).toMatch(/Expected a JSON response/);
  });

  it('.withResponse() and .asResponse() expose the raw response', async () => {
    const f = fakeFetch(json(200, { data: KEY }, { 'x-request-id': 'abc' }));
    const c = client(f.fetch);
    const { data, response, requestID } = await c.apiKeys.retrieve(KEY.id).withResponse();
    expect(data).toEqual(KEY);
    expect(response.status).toBe(200);
    expect(requestID).toBe('abc');
    const raw = await c.apiKeys.retrieve(KEY.id).asResponse();
    expect(await raw.json()).toEqual({ data: KEY });
  });

  it('merges default and per-request headers, the latter winning', async () => {
    const f = fakeFetch(json(200, { data: KEY }));
    const c = client(f.fetch, { defaultHeaders: { 'X-Team': 'a', 'X-Both': 'default' } });
    await c.apiKeys.retrieve('x', { headers: { 'X-Both': 'request' } });
    expect(f.requests[0]?.headers).toMatchObject({ 'x-team': 'a', 'x-both': 'request' });
  });
});
