import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, newAccount, type TestAccount } from '../support/app.js';
import { useTestApp } from '../support/fixture.js';
import { rawRequest } from '../support/raw-http.js';
import { sqliteFactory } from '../support/stores.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Issue 10 item 7: every answer the server gives is JSON in the contract's shape with a request id. */
describe('answers before a route', () => {
  const t = useTestApp(sqliteFactory, { listen: true });
  let acct: TestAccount;
  beforeAll(async () => {
    acct = await newAccount(t);
  });

  const contract = (a: { headers: Record<string, string>; body: string }) => {
    expect(a.headers['content-type']).toMatch(/^application\/json/);
    expect(a.headers['x-request-id']).toMatch(UUID);
    const body = JSON.parse(a.body);
    expect(Object.keys(body)).toEqual(['error']);
    return body.error as string;
  };

  it("Node's parser errors (was fastify's {error,message,statusCode} without a request id)", async () => {
    for (const bytes of [
      'GET /api/v1/api_keys HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n',
      'GARBAGE\r\n\r\n',
      'POST /api/v1/api_keys HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'GET /api/v1/api_keys HTTP/9.9\r\nHost: x\r\n\r\n',
    ]) {
      const a = await rawRequest(t.port, bytes);
      expect(a.status, bytes).toBe(400);
      expect(contract(a)).toBe('Bad request');
    }
  });

  it('431 for oversized headers', async () => {
    const a = await rawRequest(
      t.port,
      `GET /api/v1/api_keys HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expect(a.status).toBe(431);
    expect(contract(a)).toBe('Request header fields too large');
  });

  it('a URL fastify cannot decode (FST_ERR_BAD_URL) is a 400 in our shape', async () => {
    const a = await rawRequest(t.port, 'GET /api/v1/api_keys/%zz HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(a.status).toBe(400);
    expect(contract(a)).toBe('Bad request');
  });

  it('an id over 100 characters is an unknown key (was 414 FST_ERR_MAX_PARAM_LENGTH echoing the path)', async () => {
    for (const id of ['a'.repeat(101), 'b'.repeat(5_000), 'c'.repeat(17_000)]) {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/api_keys/${id}`, headers: bearer(acct.adminKey) });
      expect(res.statusCode, String(id.length)).toBe(404);
      expect(res.json()).toEqual({ error: 'API key not found' });
      expect(res.headers['x-request-id']).toMatch(UUID);
    }
  });

  it('no Host header gets a 400 that says so (was an empty 400)', async () => {
    const a = await rawRequest(t.port, 'GET /api/v1/api_keys HTTP/1.1\r\n\r\n');
    expect(a.status).toBe(400);
    expect(contract(a)).toBe('Missing Host header');
    const http10 = await rawRequest(t.port, 'GET /api/v1/nope HTTP/1.0\r\n\r\n');
    expect(http10.status).toBe(404);
  });

  it('CONNECT is answered 405 (was a closed socket)', async () => {
    const a = await rawRequest(t.port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    expect(a.status).toBe(405);
    expect(contract(a)).toBe('Method not allowed');
  });

  it('TRACE, PROPFIND, SEARCH and other methods on known paths are 405 with Allow (were 404)', async () => {
    for (const method of ['TRACE', 'PROPFIND', 'SEARCH', 'MKCOL', 'LOCK', 'PURGE']) {
      const a = await rawRequest(t.port, `${method} /api/v1/api_keys HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`);
      expect(a.status, method).toBe(405);
      expect(a.headers.allow).toBe('GET, POST, PATCH, DELETE, HEAD');
      expect(contract(a)).toBe('Method not allowed');
      const unknown = await rawRequest(
        t.port,
        `${method} /api/v1/nope HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`,
      );
      expect(unknown.status, method).toBe(404);
      expect(contract(unknown)).toBe('Not found');
    }
  });
});
