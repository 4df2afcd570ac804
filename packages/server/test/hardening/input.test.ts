import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, newAccount, newKey, type TestAccount } from '../support/app.js';
import { useTestApp } from '../support/fixture.js';
import { rawRequest } from '../support/raw-http.js';
import { sqliteFactory } from '../support/stores.js';

/** Issue 10 item 8: lax input is refused, never stored in a form the caller did not send. */
describe('strict input', () => {
  const t = useTestApp(sqliteFactory, { listen: true });
  let acct: TestAccount;
  beforeAll(async () => {
    acct = await newAccount(t);
  });

  const create = (payload: string | Buffer, headers: Record<string, string> = {}) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/api_keys',
      headers: { ...bearer(acct.adminKey), 'content-type': 'application/json', ...headers },
      payload,
    });
  const count = async () => (await t.services.keys.list(acct.accountId)).length;

  it('invalid UTF-8 is a 400, not a description with U+FFFD (was stored)', async () => {
    const before = await count();
    const bytes = Buffer.concat([
      Buffer.from('{"apiKeyType":"INFERENCE","description":"bad '),
      Buffer.from([0xc3, 0x28, 0xff]),
      Buffer.from('"}'),
    ]);
    const res = await create(bytes);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: 'Request body is not valid UTF-8' });
    expect(await count()).toBe(before);
    const fine = await create(Buffer.from('{"apiKeyType":"INFERENCE","description":"café ✓"}'));
    expect(fine.json().data.description).toBe('café ✓');
  });

  it('a compressed body or another charset is refused, never misread (was parsed as raw bytes)', async () => {
    const body = '{"apiKeyType":"INFERENCE","description":"zip"}';
    const gz = await create(gzipSync(body), { 'content-encoding': 'gzip' });
    expect(gz.statusCode).toBe(400);
    expect(gz.json()).toEqual({ error: "'Content-Encoding' is not supported; send the body uncompressed" });
    const plainButLabelled = await create(body, { 'content-encoding': 'br' });
    expect(plainButLabelled.statusCode).toBe(400);
    for (const charset of ['latin1', 'utf-16', 'iso-8859-1']) {
      const res = await create(body, { 'content-type': `application/json; charset=${charset}` });
      expect(res.statusCode, charset).toBe(400);
      expect(res.json()).toEqual({ error: "'Content-Type' charset must be utf-8" });
    }
    for (const ok of ['application/json; charset=utf-8', 'application/json;charset="UTF8"']) {
      expect((await create(body, { 'content-type': ok })).statusCode, ok).toBe(200);
    }
    expect((await create(body, { 'content-encoding': 'identity' })).statusCode).toBe(200);
  });

  it('two Authorization headers are a 400 (was: the first one used)', async () => {
    const other = await newKey(t, acct.accountId);
    const a = await rawRequest(
      t.port,
      `GET /api/v1/api_keys HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${acct.adminKey}\r\nAuthorization: Bearer ${other.secret}\r\n\r\n`,
    );
    expect(a.status).toBe(400);
    expect(JSON.parse(a.body)).toEqual({ error: "Duplicate 'Authorization' header" });
    expect(a.headers['x-request-id']).toBeTruthy();
  });

  it('two Idempotency-Key headers are a 400 (were joined into "a, b")', async () => {
    const before = await count();
    const body = '{"apiKeyType":"INFERENCE","description":"twice"}';
    const a = await rawRequest(
      t.port,
      `POST /api/v1/api_keys HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${acct.adminKey}\r\nContent-Type: application/json\r\nIdempotency-Key: a\r\nIdempotency-Key: b\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    expect(a.status).toBe(400);
    expect(JSON.parse(a.body)).toEqual({ error: "Duplicate 'Idempotency-Key' header" });
    expect(await count()).toBe(before);
  });

  it('descriptions that are blank, invisible or carry bidirectional controls are refused (were accepted)', async () => {
    const before = await count();
    const cases: [string, string][] = [
      ['   ', 'Must contain a visible character'],
      ['\u00a0\u2003\u3000', 'Must contain a visible character'],
      ['\u200b\u200d\u2060', 'Must contain a visible character'],
      ['\u3164\u115f', 'Must contain a visible character'],
      ['\ufeff\u00ad', 'Must contain a visible character'],
      ['invoice\u202egpj.exe', 'Must not contain bidirectional control characters'],
      ['a\u2066b\u2069', 'Must not contain bidirectional control characters'],
      ['\u202a', 'Must not contain bidirectional control characters'],
    ];
    for (const [description, message] of cases) {
      const res = await create(JSON.stringify({ apiKeyType: 'INFERENCE', description }));
      expect(res.statusCode, JSON.stringify(description)).toBe(400);
      expect(res.json().issues.map((i: { message: string }) => i.message)).toContain(message);
    }
    const patch = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/api_keys',
      headers: { ...bearer(acct.adminKey), 'content-type': 'application/json' },
      payload: JSON.stringify({ id: acct.adminKeyId, description: '\u2028' }),
    });
    expect(patch.statusCode).toBe(400);
    expect(await count()).toBe(before);
    for (const fine of ['a', ' padded ', 'مفتاح', 'emoji 🔑', 'ZWJ 👩\u200d💻']) {
      expect((await create(JSON.stringify({ apiKeyType: 'INFERENCE', description: fine }))).statusCode, fine).toBe(200);
    }
  });

  it('a key id matches in any case (uppercase was 404)', async () => {
    const k = await newKey(t, acct.accountId, { description: 'cased' });
    const upper = k.id.toUpperCase();
    const got = await t.app.inject({ method: 'GET', url: `/api/v1/api_keys/${upper}`, headers: bearer(acct.adminKey) });
    expect(got.statusCode).toBe(200);
    expect(got.json().data.id).toBe(k.id);
    const patched = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/api_keys',
      headers: { ...bearer(acct.adminKey), 'content-type': 'application/json' },
      payload: JSON.stringify({ id: upper, description: 'renamed' }),
    });
    expect(patched.json().data).toMatchObject({ id: k.id, description: 'renamed' });
    const revoked = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/api_keys?id=${upper}`,
      headers: bearer(acct.adminKey),
    });
    expect(revoked.json()).toEqual({ success: true });
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/v1/api_keys/rate_limits', headers: bearer(k.secret) }))
        .statusCode,
    ).toBe(401);
  });
});
