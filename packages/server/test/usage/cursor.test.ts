import { describe, expect, it } from 'vitest';
import { CURSOR_TTL_MS, cursorKey, openCursor, signCursor, type WalkState } from '../../src/domain/usage/cursor.js';

const KEY = cursorKey(new TextEncoder().encode('test-server-secret-0123456789abcdef'));
const ACCOUNT = 'a6f1b0d2-3c4e-4f5a-8b6c-7d8e9f0a1b2c';
const NOW = Date.UTC(2026, 5, 15, 12);
const WALK: WalkState = {
  currency: 'USD',
  endAt: Date.UTC(2026, 6, 1),
  pageSize: 10,
  asOf: NOW - 5_000,
  after: { at: Date.UTC(2026, 5, 10), id: 'f47ac10b-58cc-4372-a567-0e02b2c3d479' },
};

describe('the usage-history cursor', () => {
  it('round-trips the walk, URL-safe and within 512 characters', () => {
    const token = signCursor(KEY, ACCOUNT, WALK, NOW);
    expect(token).toMatch(/^[A-Za-z0-9_-]{1,512}$/);
    expect(openCursor(KEY, ACCOUNT, token, NOW)).toEqual({ ok: true, walk: WALK });
    const bare = { pageSize: 1000, asOf: NOW, after: WALK.after };
    expect(openCursor(KEY, ACCOUNT, signCursor(KEY, ACCOUNT, bare, NOW), NOW)).toEqual({
      ok: true,
      walk: { ...bare, currency: undefined, endAt: undefined },
    });
  });

  it('refuses every single-character change', () => {
    const token = signCursor(KEY, ACCOUNT, WALK, NOW);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let i = 0; i < token.length; i++) {
      const other = alphabet[(alphabet.indexOf(token[i] as string) + 1) % alphabet.length];
      const tampered = token.slice(0, i) + other + token.slice(i + 1);
      expect(openCursor(KEY, ACCOUNT, tampered, NOW), `position ${i}`).toEqual({ ok: false, reason: 'invalid' });
    }
    for (const t of [token.slice(0, -1), `${token}A`, token.slice(1), '', 'x', `${token}.`]) {
      expect(openCursor(KEY, ACCOUNT, t, NOW)).toEqual({ ok: false, reason: 'invalid' });
    }
  });

  it("refuses another account's cursor exactly as a tampered one", () => {
    const token = signCursor(KEY, ACCOUNT, WALK, NOW);
    expect(openCursor(KEY, 'b0000000-0000-4000-8000-000000000000', token, NOW)).toEqual({
      ok: false,
      reason: 'invalid',
    });
  });

  it('refuses a cursor signed under another server secret', () => {
    const otherKey = cursorKey(new TextEncoder().encode('another-secret'));
    expect(openCursor(KEY, ACCOUNT, signCursor(otherKey, ACCOUNT, WALK, NOW), NOW)).toEqual({
      ok: false,
      reason: 'invalid',
    });
  });

  it('expires 24 hours after it was issued', () => {
    const token = signCursor(KEY, ACCOUNT, WALK, NOW);
    expect(openCursor(KEY, ACCOUNT, token, NOW + CURSOR_TTL_MS - 1).ok).toBe(true);
    expect(openCursor(KEY, ACCOUNT, token, NOW + CURSOR_TTL_MS)).toEqual({ ok: false, reason: 'expired' });
  });

  it('derives its key from the server secret, distinct from the secret itself', () => {
    const secret = new TextEncoder().encode('test-server-secret-0123456789abcdef');
    expect(KEY).toHaveLength(32);
    expect(Buffer.from(KEY).equals(Buffer.from(secret))).toBe(false);
    expect(cursorKey(secret).equals(KEY)).toBe(true);
  });
});
