import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { LedgerPosition } from './ports.js';

/**
 * The usage-history cursor: what a walk needs to continue (its filters, the instant it began and
 * the last entry returned), base64url-encoded behind an HMAC-SHA256 tag. The tag also covers the
 * account id, which the token does not carry: a cursor presented by another account fails exactly
 * as a tampered one does, and tells nothing about whose it was.
 */

export const CURSOR_TTL_MS = 24 * 3_600_000;
const TAG_BYTES = 32;
const VERSION = 1;

export interface WalkState {
  currency?: string | undefined;
  endAt?: number | undefined;
  pageSize: number;
  /** When the walk began: entries recorded after it are not part of it. */
  asOf: number;
  after: LedgerPosition;
}

export type OpenedCursor = { ok: true; walk: WalkState } | { ok: false; reason: 'invalid' | 'expired' };

interface Payload {
  v: number;
  c?: string;
  e?: number;
  n: number;
  s: number;
  t: number;
  i: string;
  x: number;
}

/** A key for cursors alone, so that no other use of the server secret can mint or check one. */
export function cursorKey(serverSecret: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', serverSecret, new Uint8Array(0), 'venice-keys usage-history cursor v1', 32));
}

const tag = (key: Uint8Array, accountId: string, body: Buffer) =>
  createHmac('sha256', key).update(accountId).update('\n').update(body).digest();

export function signCursor(key: Uint8Array, accountId: string, walk: WalkState, now: number): string {
  const payload: Payload = {
    v: VERSION,
    ...(walk.currency !== undefined ? { c: walk.currency } : {}),
    ...(walk.endAt !== undefined ? { e: walk.endAt } : {}),
    n: walk.pageSize,
    s: walk.asOf,
    t: walk.after.at,
    i: walk.after.id,
    x: now + CURSOR_TTL_MS,
  };
  const body = Buffer.from(JSON.stringify(payload), 'utf8');
  return Buffer.concat([tag(key, accountId, body), body]).toString('base64url');
}

const isInt = (v: unknown): v is number => Number.isSafeInteger(v);

function readPayload(body: Buffer): Payload | undefined {
  let p: Partial<Payload>;
  try {
    p = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  const ok =
    p.v === VERSION &&
    (p.c === undefined || typeof p.c === 'string') &&
    (p.e === undefined || isInt(p.e)) &&
    isInt(p.n) &&
    isInt(p.s) &&
    isInt(p.t) &&
    typeof p.i === 'string' &&
    isInt(p.x);
  return ok ? (p as Payload) : undefined;
}

/** The walk a cursor continues, if this account was handed it and it has not expired. */
export function openCursor(key: Uint8Array, accountId: string, token: string, now: number): OpenedCursor {
  if (!/^[A-Za-z0-9_-]{1,512}$/.test(token)) return { ok: false, reason: 'invalid' };
  const raw = Buffer.from(token, 'base64url');
  // Decoding ignores stray low bits of the last character: only the canonical spelling is ours.
  if (raw.length <= TAG_BYTES || raw.toString('base64url') !== token) return { ok: false, reason: 'invalid' };
  const body = raw.subarray(TAG_BYTES);
  if (!timingSafeEqual(raw.subarray(0, TAG_BYTES), tag(key, accountId, body))) return { ok: false, reason: 'invalid' };
  const p = readPayload(body);
  if (!p) return { ok: false, reason: 'invalid' };
  if (now >= p.x) return { ok: false, reason: 'expired' };
  return { ok: true, walk: { currency: p.c, endAt: p.e, pageSize: p.n, asOf: p.s, after: { at: p.t, id: p.i } } };
}
