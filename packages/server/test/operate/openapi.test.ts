import { Validator } from '@seriousme/openapi-schema-validator';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCUMENTED_ROUTES, openApiDocument } from '../../src/http/openapi.js';
import { bearer, buildTestApp, newAccount, newKey, type TestApp } from '../support/app.js';
import { useTestApp } from '../support/fixture.js';
import { checkConformance, expectConformant, injectedErrors, pathTemplate } from '../support/openapi.js';
import { sqliteFactory } from '../support/stores.js';

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(openApiDocument('test')));
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('describes request bodies from the schemas that validate them (strict, bounded)', () => {
    const doc = openApiDocument('test') as {
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, { schema: Record<string, unknown> }> } }>
      >;
    };
    const create = doc.paths['/api/v1/api_keys']?.post?.requestBody?.content['application/json']?.schema as {
      additionalProperties: boolean;
      required: string[];
      properties: Record<string, { maxLength?: number }>;
    };
    expect(create.additionalProperties).toBe(false);
    expect(create.required).toEqual(['apiKeyType', 'description']);
    expect(create.properties.description?.maxLength).toBe(64);
  });
});

describe('the routes against the OpenAPI document', () => {
  let t: TestApp;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    const opened = await sqliteFactory.open();
    dispose = opened.dispose;
    t = await buildTestApp(opened.store);
  });
  afterAll(async () => {
    await t.app.close();
    await dispose();
  });

  it('serves the document at /api/v1/openapi.json without authentication', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ openapi: '3.1.0' });
  });

  it('documents exactly the routes the app serves', () => {
    for (const route of DOCUMENTED_ROUTES) {
      const [method, url] = route.split(' ') as [string, string];
      expect(t.app.hasRoute({ method: method as 'GET', url }), route).toBe(true);
    }
  });

  it('answers in the documented shapes, errors included', async () => {
    const account = await newAccount(t);
    const auth = bearer(account.adminKey);
    const call = async (method: string, path: string, url: string, extra: object = {}) => {
      const res = await t.app.inject({ method: method as 'GET', url, headers: auth, ...extra });
      expectConformant(method, path, res);
      return res;
    };
    const created = await call('POST', '/api/v1/api_keys', '/api/v1/api_keys', {
      payload: { apiKeyType: 'INFERENCE', description: 'conformance', consumptionLimit: { usd: 5 } },
    });
    const id = created.json().data.id as string;
    await call('GET', '/api/v1/api_keys', '/api/v1/api_keys');
    await call('GET', '/api/v1/api_keys/{id}', `/api/v1/api_keys/${id}`);
    await call('PATCH', '/api/v1/api_keys', '/api/v1/api_keys', { payload: { id, description: 'renamed' } });
    await call('GET', '/api/v1/api_keys/rate_limits', '/api/v1/api_keys/rate_limits');
    await call('GET', '/api/v1/api_keys/rate_limits/log', '/api/v1/api_keys/rate_limits/log');
    await call('GET', '/api/v1/billing/balance', '/api/v1/billing/balance');
    await call('GET', '/api/v1/billing/usage-history', '/api/v1/billing/usage-history');
    await call('GET', '/api/v1/billing/usage-analytics', '/api/v1/billing/usage-analytics');
    await call('GET', '/api/v1/billing/usage', '/api/v1/billing/usage');
    await call('GET', '/api/v1/models', '/api/v1/models');
    await call('GET', '/api/v1/api_keys/generate_web3_key', '/api/v1/api_keys/generate_web3_key');
    await call('DELETE', '/api/v1/api_keys', `/api/v1/api_keys?id=${id}`);
    await call('GET', '/healthz', '/healthz');
    await call('GET', '/readyz', '/readyz');

    // Errors: validation, unknown id, last ADMIN key, wrong method, no or bad credentials, INFERENCE on ADMIN.
    await call('POST', '/api/v1/api_keys', '/api/v1/api_keys', { payload: { apiKeyType: 'NOPE' } });
    await call('GET', '/api/v1/api_keys/{id}', `/api/v1/api_keys/${id}`);
    await call('DELETE', '/api/v1/api_keys', `/api/v1/api_keys?id=${account.adminKeyId}`);
    const anonymous = await t.app.inject({ method: 'GET', url: '/api/v1/api_keys' });
    expectConformant('GET', '/api/v1/api_keys', anonymous);
    const inference = await newKey(t, account.accountId);
    const refused = await t.app.inject({
      method: 'GET',
      url: '/api/v1/billing/balance',
      headers: bearer(inference.secret),
    });
    expect(refused.statusCode).toBe(401);
    expectConformant('GET', '/api/v1/billing/balance', refused);
  });
});

describe('the conformance check of every injected request', () => {
  const json = (statusCode: number, body: unknown) => ({
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(body),
  });

  it('picks the most specific path template and skips what the document does not cover', () => {
    expect(pathTemplate('/api/v1/api_keys/rate_limits?x=1')).toBe('/api/v1/api_keys/rate_limits');
    expect(pathTemplate('/api/v1/api_keys/rate_limits/log')).toBe('/api/v1/api_keys/rate_limits/log');
    expect(pathTemplate('/api/v1/api_keys/abc/')).toBe('/api/v1/api_keys/{id}');
    expect(pathTemplate('/api/v1/api_keys/abc/def')).toBeUndefined();
    expect(pathTemplate('/api/v1/nope')).toBeUndefined();
    expect(injectedErrors('GET', '/api/v1/nope', json(404, { error: 'Not found' }))).toBeUndefined();
    expect(injectedErrors('PUT', '/api/v1/api_keys', json(405, { error: 'Method not allowed' }))).toBeUndefined();
  });

  it('refuses a body off its schema, an undocumented status and an undocumented content type', () => {
    const wrongBody = injectedErrors(
      'GET',
      '/api/v1/api_keys/rate_limits',
      json(200, { data: { accessPermitted: 1 } }),
    );
    expect(wrongBody).toMatch(/GET \/api\/v1\/api_keys\/rate_limits 200: .*accessPermitted must be boolean/);
    expect(injectedErrors('GET', '/api/v1/billing/balance', json(418, { error: 'teapot' }))).toMatch(
      /status 418 is not documented/,
    );
    const html = { statusCode: 200, headers: { 'content-type': 'text/html' }, body: '<p>ok</p>' };
    expect(injectedErrors('GET', '/healthz', html)).toMatch(/content type text\/html is not documented/);
    expect(injectedErrors('GET', '/healthz', json(200, { status: 'ok' }))).toBeUndefined();
  });

  it('fails the inject itself, awaited or called back', async () => {
    const app = checkConformance(Fastify());
    app.get('/api/v1/billing/balance', async () => ({ canConsume: 'maybe' }));
    await expect(app.inject({ method: 'GET', url: '/api/v1/billing/balance' })).rejects.toThrow(
      /does not conform to the OpenAPI document/,
    );
    const calledBack = await new Promise<Error | undefined>((resolve) =>
      app.inject('/api/v1/billing/balance', (err) => resolve(err)),
    );
    expect(calledBack?.message).toMatch(/canConsume must be boolean/);
    await app.close();
  });
});

describe('a server that is not ready', () => {
  const t = useTestApp(sqliteFactory, {
    readiness: [
      {
        name: 'database',
        check: async () => {
          throw new Error('down');
        },
      },
    ],
  });

  it('answers /readyz 503 in the documented shape, naming the failing part', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ status: 'unavailable', failing: ['database'] });
  });
});
