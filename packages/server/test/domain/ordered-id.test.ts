import { describe, expect, it } from 'vitest';
import { newOrderedId, UUID_PATTERN } from '../../src/domain/secrets.js';

describe('newOrderedId', () => {
  it('is a version-7 UUID whose text sorts in creation order, even within one millisecond', () => {
    const ids = Array.from({ length: 20_000 }, () => newOrderedId());
    for (const id of ids.slice(0, 100)) {
      expect(id).toMatch(UUID_PATTERN);
      expect(id[14]).toBe('7');
      expect('89ab').toContain(id[19]);
    }
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('carries the creation time in its first 48 bits', () => {
    const before = Date.now();
    const id = newOrderedId();
    const ms = Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16);
    // The counter may have carried into the next ms after a burst: never earlier than now.
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThan(before + 1_000);
  });
});
