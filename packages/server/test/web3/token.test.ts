import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { issueWeb3Token, verifyWeb3Token, WEB3_TOKEN_TTL_MS } from '../../src/web3/token.js';
import { ManualClock } from '../support/clock.js';
import { rejectsWith } from '../support/refusals.js';

const secret = 'test-server-secret-0123456789abcdef';
const issuer = 'venice-keys-test';
const audience = 'venice-keys-test/web3';

function setup() {
  const clock = new ManualClock();
  return { clock, params: { secret, clock, issuer, audience } };
}

const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** A token signed with the server secret whose claims the test chooses. */
function signClaims(claims: Record<string, unknown>, key: string = secret): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(key));
}

describe('issueWeb3Token', () => {
  it('issues an HS256 JWT with iss, aud, iat, exp = iat + 15 min and a random jti', async () => {
    const { clock, params } = setup();
    const issued = await issueWeb3Token(params);

    expect(decodeProtectedHeader(issued.token)).toMatchObject({ alg: 'HS256', typ: 'JWT' });
    const claims = decodeJwt(issued.token);
    const iat = clock.now() / 1000;
    expect(claims).toEqual({ iss: issuer, aud: audience, iat, exp: iat + 15 * 60, jti: issued.jti });
    expect(issued.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(issued.expiresAtMs).toBe(clock.now() + WEB3_TOKEN_TTL_MS);

    const again = await issueWeb3Token(params);
    expect(again.jti).not.toBe(issued.jti);
  });

  it('verifies its own tokens, with the secret as a string or as bytes', async () => {
    const { params } = setup();
    const issued = await issueWeb3Token(params);
    await expect(verifyWeb3Token(issued.token, params)).resolves.toEqual({
      jti: issued.jti,
      expiresAtMs: issued.expiresAtMs,
    });
    const bytes = { ...params, secret: new TextEncoder().encode(secret) };
    await expect(verifyWeb3Token(issued.token, bytes)).resolves.toMatchObject({ jti: issued.jti });
  });
});

describe('verifyWeb3Token', () => {
  it.each([
    ['an empty string', ''],
    ['one segment', 'not-a-jwt'],
    ['two segments', `${b64({ alg: 'HS256' })}.${b64({})}`],
    ['four segments', `${b64({ alg: 'HS256' })}.${b64({})}.c2ln.c2ln`],
    ['an empty signature', `${b64({ alg: 'HS256' })}.${b64({})}.`],
    ['characters outside base64url', `${b64({ alg: 'HS256' })}.${b64({})}.c2ln+/==`],
    ['a header that is not JSON', `${b64('{alg')}.${b64({})}.c2ln`],
    ['a payload that is not JSON', `${b64({ alg: 'HS256' })}.${b64('hello')}.c2ln`],
    ['a payload that is a JSON array', `${b64({ alg: 'HS256' })}.${b64([1])}.c2ln`],
    ['alg none', `${b64({ alg: 'none' })}.${b64({})}.c2ln`],
    ['alg HS512', `${b64({ alg: 'HS512' })}.${b64({})}.c2ln`],
    ['a critical header jose cannot honour', `${b64({ alg: 'HS256', crit: ['exp2'], exp2: 1 })}.${b64({})}.c2ln`],
  ])('rejects %s as malformed', async (_, token) => {
    await rejectsWith(verifyWeb3Token(token, setup().params), 'JWT is malformed');
  });

  it('rejects a token signed with another secret', async () => {
    const { params } = setup();
    const foreign = await issueWeb3Token({ ...params, secret: 'another-secret' });
    await rejectsWith(verifyWeb3Token(foreign.token, params), 'JWT signature is invalid');
  });

  it('rejects a token whose claims were changed after signing', async () => {
    const { params } = setup();
    const [header, payload, signature] = (await issueWeb3Token(params)).token.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString());
    const forged = `${header}.${b64({ ...claims, exp: claims.exp + 3600 })}.${signature}`;
    await rejectsWith(verifyWeb3Token(forged, params), 'JWT signature is invalid');
  });

  it('expires exactly 15 minutes after issuance, by the injected clock', async () => {
    const { clock, params } = setup();
    const issued = await issueWeb3Token(params);
    clock.advance(WEB3_TOKEN_TTL_MS - 1);
    await expect(verifyWeb3Token(issued.token, params)).resolves.toMatchObject({ jti: issued.jti });
    clock.advance(1);
    await rejectsWith(verifyWeb3Token(issued.token, params), 'JWT has expired');
  });

  it('checks the signature before expiry and expiry before the claims', async () => {
    const { clock, params } = setup();
    const foreign = await issueWeb3Token({ ...params, secret: 'another-secret' });
    const wrongAudience = await issueWeb3Token({ ...params, audience: 'someone-else' });
    clock.advance(WEB3_TOKEN_TTL_MS);
    await rejectsWith(verifyWeb3Token(foreign.token, params), 'JWT signature is invalid');
    await rejectsWith(verifyWeb3Token(wrongAudience.token, params), 'JWT has expired');
  });

  it.each([
    ['another issuer', { issuer: 'someone-else' }],
    ['another audience', { audience: 'someone-else' }],
  ])('rejects a token of %s', async (_, override) => {
    const { params } = setup();
    const issued = await issueWeb3Token({ ...params, ...override });
    await rejectsWith(verifyWeb3Token(issued.token, params), 'JWT claims are invalid');
  });

  describe('claims of a correctly signed token', () => {
    const now = new ManualClock().now() / 1000;
    const valid = { iss: issuer, aud: audience, iat: now, exp: now + 900, jti: 'a-jti' };

    it('accepts an audience list that names us', async () => {
      const token = await signClaims({ ...valid, aud: ['other', audience] });
      await expect(verifyWeb3Token(token, setup().params)).resolves.toEqual({
        jti: 'a-jti',
        expiresAtMs: (now + 900) * 1000,
      });
    });

    it('accepts an iat up to a minute ahead of our clock', async () => {
      const token = await signClaims({ ...valid, iat: now + 60 });
      await expect(verifyWeb3Token(token, setup().params)).resolves.toMatchObject({ jti: 'a-jti' });
    });

    it.each([
      ['no jti', { jti: undefined }],
      ['an empty jti', { jti: '' }],
      ['a numeric jti', { jti: 7 }],
      ['no iat', { iat: undefined }],
      ['an iat more than a minute in the future', { iat: now + 61 }],
      ['no exp', { exp: undefined }],
      ['a string exp', { exp: String(now + 900) }],
      ['no iss', { iss: undefined }],
      ['an audience list without us', { aud: ['other'] }],
    ])('rejects %s', async (_, override) => {
      const token = await signClaims({ ...valid, ...override });
      await rejectsWith(verifyWeb3Token(token, setup().params), 'JWT claims are invalid');
    });
  });
});
