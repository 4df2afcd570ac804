import { randomUUID } from 'node:crypto';
import { compactVerify, errors, SignJWT } from 'jose';
import type { Clock } from '../domain/clock.js';
import { AppError } from '../domain/errors.js';

/**
 * The challenge of the web3 key flow: a short-lived HS256 JWT the wallet signs with
 * `personal_sign`. Its `jti` is what makes a token single-use (the caller records it on a mint).
 */

export const WEB3_TOKEN_TTL_MS = 15 * 60_000;

/** An `iat` this far ahead of our clock is still accepted: instances' clocks drift a little. */
const IAT_SKEW_MS = 60_000;

export interface Web3TokenParams {
  /** The HMAC key: one derived from the server secret for tokens alone (see `web3TokenKey` in web3/adapters.ts). */
  secret: Uint8Array | string;
  clock: Clock;
  issuer: string;
  audience: string;
}

export interface IssuedWeb3Token {
  token: string;
  jti: string;
  /** `exp` in milliseconds since the epoch. */
  expiresAtMs: number;
}

export interface VerifiedWeb3Token {
  jti: string;
  expiresAtMs: number;
}

export async function issueWeb3Token({
  ttlMs = WEB3_TOKEN_TTL_MS,
  ...params
}: Web3TokenParams & { ttlMs?: number }): Promise<IssuedWeb3Token> {
  const iat = Math.floor(params.clock.now() / 1000);
  const exp = iat + Math.round(ttlMs / 1000);
  const jti = randomUUID();
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(params.issuer)
    .setAudience(params.audience)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .setJti(jti)
    .sign(signingKey(params.secret));
  return { token, jti, expiresAtMs: exp * 1000 };
}

export const SIGNATURE_INVALID = 'JWT signature is invalid';

/**
 * Checks in the order the wire promises, each failure an `AppError('BAD_REQUEST')` with the
 * wire's message: malformed, signature, expiry, claims. Expiry is judged by the injected clock,
 * which is why jose only checks the signature here and the claims are checked by hand.
 */
export async function verifyWeb3Token(token: string, params: Web3TokenParams): Promise<VerifiedWeb3Token> {
  const claims = parseCompactJwt(token);

  try {
    await compactVerify(token, signingKey(params.secret), { algorithms: ['HS256'] });
  } catch (e) {
    if (e instanceof errors.JWSSignatureVerificationFailed) throw rejected(SIGNATURE_INVALID, e);
    // What jose refuses beyond our own parse (e.g. a `crit` header) is a token we cannot read.
    throw rejected('JWT is malformed', e);
  }

  const { exp, iat, iss, aud, jti } = claims;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) throw rejected('JWT claims are invalid');
  const now = params.clock.now();
  if (now >= exp * 1000) throw rejected('JWT has expired');

  const audienceMatches = Array.isArray(aud) ? aud.includes(params.audience) : aud === params.audience;
  const iatValid = typeof iat === 'number' && Number.isFinite(iat) && iat * 1000 <= now + IAT_SKEW_MS;
  if (iss !== params.issuer || !audienceMatches || !iatValid || typeof jti !== 'string' || jti === '') {
    throw rejected('JWT claims are invalid');
  }
  return { jti, expiresAtMs: exp * 1000 };
}

const BASE64URL_SEGMENT = /^[A-Za-z0-9_-]+$/;

/** Structure only: three base64url segments, JSON objects for header and payload, alg HS256. */
function parseCompactJwt(token: string): Record<string, unknown> {
  if (typeof token !== 'string') throw rejected('JWT is malformed');
  const segments = token.split('.');
  // A base64url segment of length 4k+1 cannot encode whole bytes.
  if (segments.length !== 3 || !segments.every((s) => BASE64URL_SEGMENT.test(s) && s.length % 4 !== 1)) {
    throw rejected('JWT is malformed');
  }
  const [header, payload] = segments.slice(0, 2).map(decodeJsonObject);
  if (header === undefined || payload === undefined || header.alg !== 'HS256') throw rejected('JWT is malformed');
  return payload;
}

function decodeJsonObject(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function signingKey(secret: Uint8Array | string): Uint8Array {
  return typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
}

function rejected(message: string, cause?: unknown): AppError {
  return new AppError('BAD_REQUEST', message, cause === undefined ? {} : { cause });
}
