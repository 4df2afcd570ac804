import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryLimitCounters } from '../../src/counters/memory.js';
import { RedisLimitCounters } from '../../src/counters/redis.js';
import type { LimitCounters } from '../../src/domain/ports/counters.js';
import { redisReachable } from '../support/reservations.js';
import { REDIS_URL, serviceAvailable } from '../support/stores.js';

interface CounterFactory {
  name: string;
  available(): Promise<boolean>;
  open(): Promise<LimitCounters>;
}

const factories: CounterFactory[] = [
  { name: 'memory', available: async () => true, open: async () => new MemoryLimitCounters() },
  {
    name: 'redis',
    available: () => serviceAvailable('Redis', redisReachable),
    // A prefix per run keeps parallel test files apart in the one shared Redis.
    open: async () => new RedisLimitCounters(new Redis(REDIS_URL), `test:${randomUUID()}:`),
  },
];

const T0 = Date.UTC(2026, 0, 15, 12, 0, 30);

for (const factory of factories) {
  const available = await factory.available();
  describe.skipIf(!available)(`LimitCounters contract: ${factory.name}`, () => {
    let counters: LimitCounters;
    beforeAll(async () => {
      counters = await factory.open();
    });
    afterAll(async () => counters?.close());

    it('counts within a window and refuses past the limit with the time to the window end', async () => {
      const d = { key: `a:${randomUUID()}`, windowMs: 60_000, limit: 3, cost: 1 };
      for (let i = 0; i < 3; i++) expect(await counters.consume([d], T0)).toEqual({ ok: true });
      expect(await counters.consume([d], T0 + 1_000)).toEqual({ ok: false, failed: 0, retryAfterMs: 29_000 });
      expect(await counters.peek([d], T0)).toEqual([{ used: 3, resetsAt: Date.UTC(2026, 0, 15, 12, 1) }]);
      expect(await counters.consume([d], Date.UTC(2026, 0, 15, 12, 1))).toEqual({ ok: true });
      expect(await counters.peek([d], Date.UTC(2026, 0, 15, 12, 1))).toEqual([
        { used: 1, resetsAt: Date.UTC(2026, 0, 15, 12, 2) },
      ]);
    });

    it('is all or nothing across several windows', async () => {
      const rpm = { key: `rpm:${randomUUID()}`, windowMs: 60_000, limit: 10, cost: 1 };
      const tpm = { key: `tpm:${randomUUID()}`, windowMs: 60_000, limit: 100, cost: 60 };
      expect(await counters.consume([rpm, tpm], T0)).toEqual({ ok: true });
      expect(await counters.consume([rpm, tpm], T0)).toEqual({ ok: false, failed: 1, retryAfterMs: 30_000 });
      expect((await counters.peek([rpm, tpm], T0)).map((s) => s.used)).toEqual([1, 60]);
    });

    it('aligns day windows to UTC midnight', async () => {
      const d = { key: `rpd:${randomUUID()}`, windowMs: 86_400_000, limit: 1, cost: 1 };
      await counters.consume([d], T0);
      expect(await counters.peek([d], T0)).toEqual([{ used: 1, resetsAt: Date.UTC(2026, 0, 16) }]);
    });

    it('never lets concurrent consumers pass the limit', async () => {
      const d = { key: `race:${randomUUID()}`, windowMs: 60_000, limit: 25, cost: 1 };
      const results = await Promise.all(Array.from({ length: 100 }, () => counters.consume([d], T0)));
      expect(results.filter((r) => r.ok)).toHaveLength(25);
    });

    it('a sliding window weighs the previous one: a burst at a window end does not refill at the next start', async () => {
      const d = { key: `web3:${randomUUID()}`, windowMs: 60_000, limit: 10, cost: 1, sliding: true };
      const end = Date.UTC(2026, 0, 15, 12, 1);
      for (let i = 0; i < 10; i++) expect(await counters.consume([d], end - 1_000)).toEqual({ ok: true });
      // A fixed window would pass 10 more here (20 within 2 s): the previous minute still weighs 10 × 59/60.
      const next = await counters.consume([d], end + 1_000);
      expect(next).toEqual({ ok: false, failed: 0, retryAfterMs: 5_000 });
      // 6 s in, the previous minute weighs 10 × 54/60 = 9 (rounded up, never down): one more fits, then none.
      expect(await counters.consume([d], end + 6_000)).toEqual({ ok: true });
      expect((await counters.consume([d], end + 6_000)).ok).toBe(false);
      // Half way, 5 of the previous minute count: 1 + 5 used, 4 more fit.
      const half = [];
      for (let i = 0; i < 6; i++) half.push((await counters.consume([d], end + 30_000)).ok);
      expect(half).toEqual([true, true, true, true, false, false]);
      expect(await counters.consume([d], end + 60_000)).toEqual({ ok: true });
    });

    it('a sliding window full on its own waits into the next window', async () => {
      const d = { key: `web3:${randomUUID()}`, windowMs: 60_000, limit: 4, cost: 1, sliding: true };
      const start = Date.UTC(2026, 0, 15, 12, 5);
      for (let i = 0; i < 4; i++) await counters.consume([d], start);
      // Full now; in the next window 4 × weight must fall to 3: a quarter of the way in.
      expect(await counters.consume([d], start + 10_000)).toEqual({ ok: false, failed: 0, retryAfterMs: 65_000 });
      expect((await counters.consume([d], start + 75_000 - 1)).ok).toBe(false);
      expect((await counters.consume([d], start + 75_000)).ok).toBe(true);
    });

    it('never lets concurrent consumers pass a sliding limit', async () => {
      const d = { key: `web3:${randomUUID()}`, windowMs: 60_000, limit: 25, cost: 1, sliding: true };
      const results = await Promise.all(Array.from({ length: 100 }, () => counters.consume([d], T0)));
      expect(results.filter((r) => r.ok)).toHaveLength(25);
    });

    it('peeks unknown counters as zero and consumes nothing for no demands', async () => {
      expect(await counters.peek([{ key: `none:${randomUUID()}`, windowMs: 1_000 }], T0)).toEqual([
        { used: 0, resetsAt: T0 + 1_000 },
      ]);
      expect(await counters.consume([], T0)).toEqual({ ok: true });
      expect(await counters.peek([], T0)).toEqual([]);
    });
  });
}

describe.skipIf(!(await redisReachable))('Redis counters across instances', () => {
  it('two instances share one budget', async () => {
    const prefix = `test:${randomUUID()}:`;
    const a = new RedisLimitCounters(new Redis(REDIS_URL), prefix);
    const b = new RedisLimitCounters(new Redis(REDIS_URL), prefix);
    const d = { key: 'shared', windowMs: 60_000, limit: 10, cost: 1 };
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).consume([d], T0)));
    expect(results.filter((r) => r.ok)).toHaveLength(10);
    await a.close();
    await b.close();
  });
});
