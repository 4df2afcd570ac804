import { describe, expect, it } from 'vitest';
import { AuthCache, type KeyWithAccount } from '../../src/domain/auth-cache.js';

const found = { key: { id: 'k1' }, account: { id: 'a1' } } as unknown as KeyWithAccount;

/** A database read that answers when told to, counting how often it was asked. */
function slowRead(answer: KeyWithAccount | undefined) {
  const calls = { count: 0, release: () => {} };
  const read = () => {
    calls.count++;
    return new Promise<KeyWithAccount | undefined>((resolve) => {
      calls.release = () => resolve(answer);
    });
  };
  return { calls, read };
}

describe('auth cache single-flight', () => {
  it('a cold storm on one digest makes one read, and its answer is cached for the requests after', async () => {
    const cache = new AuthCache();
    const { calls, read } = slowRead(found);
    const storm = Array.from({ length: 50 }, () => cache.load('d1', read));
    expect(calls.count).toBe(1);
    calls.release();
    expect(await Promise.all(storm)).toEqual(Array(50).fill(found));
    expect(cache.get('d1')?.value).toBe(found);
  });

  it('a failed read fails its waiters only: the next request reads again', async () => {
    const cache = new AuthCache();
    const failing = () => Promise.reject(new Error('database down'));
    await expect(Promise.all([cache.load('d1', failing), cache.load('d1', failing)])).rejects.toThrow('database down');
    expect(cache.get('d1')).toBeUndefined();
    const { calls, read } = slowRead(found);
    const again = cache.load('d1', read);
    calls.release();
    expect(await again).toBe(found);
    expect(calls.count).toBe(1);
  });

  it('a read in flight while a key is forgotten answers its waiters but does not cache: a fresh read does', async () => {
    const cache = new AuthCache();
    const { calls, read } = slowRead(found);
    const before = cache.load('d1', read);
    cache.forgetKey('k1');
    const changed = { ...found, key: { ...found.key, revokedAt: 1 } } as KeyWithAccount;
    const { calls: fresh, read: readAgain } = slowRead(changed);
    const after = cache.load('d1', readAgain);
    calls.release();
    fresh.release();
    expect(await before).toBe(found);
    expect(await after).toBe(changed);
    expect(cache.get('d1')?.value).toBe(changed);
  });
});
