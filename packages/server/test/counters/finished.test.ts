import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryReservations } from '../../src/counters/reservations-memory.js';
import { openRedisReservations } from '../../src/counters/reservations-redis.js';
import { CLAIMED_FINISHED_MS, FINISHED_MS, type ReserveRequest } from '../../src/domain/ports/reservations.js';
import { redisReachable } from '../support/reservations.js';
import { REDIS_URL, serviceAvailable } from '../support/stores.js';

/**
 * Finalized reservations are remembered only briefly (a day if a sweeper claimed one): kept a day each,
 * a gateway at 3000 requests/s would hold 260 million of them, in its heap or in Redis.
 */
const T0 = Date.UTC(2026, 0, 15, 12);
const DAY = Math.floor(T0 / 86_400_000);
const moneyOn = (day: number) => ({
  amount: 100n,
  day,
  diemAllocation: 0n,
  keyPeriodStart: day,
  keyPeriodEndsAt: null,
  keyLimitUsd: null,
  keyLimitDiem: null,
});
const money = moneyOn(DAY);
const ask = (accountId: string, now: number, deadline = now + 60_000): ReserveRequest => ({
  id: randomUUID(),
  accountId,
  keyId: 'key',
  windows: [],
  money: moneyOn(Math.floor(now / 86_400_000)),
  now,
  deadline,
  meta: '{}',
});
const facts = { usdBalance: 1_000_000n, diemSpentOnDay: 0n, keySpent: { usd: 0n, diem: 0n } };
const charge = { usd: 60n, diem: 0n };

describe('finalized reservations are forgotten (memory)', () => {
  it('holds only what is in flight and the last minute of finalized ones', async () => {
    const r = new MemoryReservations();
    await r.initMirrors('a', 'key', money, 0, facts);
    for (let i = 0; i < 1_000; i++) {
      const o = await r.reserve(ask('a', T0 + i));
      if (!o.ok) throw new Error(o.reason);
      await r.finalize({ reservation: o.reservation, charge, actualCosts: {}, now: T0 + i });
    }
    expect(r.sizes).toEqual({ held: 0, finished: 1_000 });
    const late = await r.reserve(ask('a', T0 + FINISHED_MS + 2_000));
    if (!late.ok) throw new Error(late.reason);
    await r.finalize({ reservation: late.reservation, charge, actualCosts: {}, now: T0 + FINISHED_MS + 2_000 });
    expect(r.sizes).toEqual({ held: 0, finished: 1 });
  });

  it('keeps a claimed one a day, then forgets it too', async () => {
    const r = new MemoryReservations();
    await r.initMirrors('a', 'key', money, 0, facts);
    const o = await r.reserve(ask('a', T0, T0 + 1_000));
    if (!o.ok) throw new Error(o.reason);
    expect((await r.claimExpired(T0 + 2_000, 10, 60_000)).map((c) => c.id)).toEqual([o.reservation.id]);
    await r.finalize({ reservation: o.reservation, charge, actualCosts: {}, now: T0 + 2_000 });
    await r.reserve(ask('a', T0 + FINISHED_MS + 60_000));
    expect(r.sizes).toEqual({ held: 1, finished: 1 });
    await r.reserve(ask('a', T0 + CLAIMED_FINISHED_MS + 120_000));
    expect(r.sizes.finished).toBe(0);
  });
});

const redisUp = await serviceAvailable('Redis', redisReachable);

describe.skipIf(!redisUp)('finalized reservations are forgotten (Redis)', () => {
  const prefix = `test:${randomUUID()}:`;
  const inspect = new Redis(REDIS_URL);
  afterAll(() => inspect.quit());

  it('shrinks a finalized record to its state with a TTL of FINISHED_MS, a claimed one to a day', async () => {
    const r = await openRedisReservations(REDIS_URL, prefix);
    try {
      const accountId = randomUUID();
      const now = Date.now();
      const first = await r.reserve(ask(accountId, now));
      expect(first).toMatchObject({ ok: false, reason: 'missing' });
      await r.initMirrors(
        accountId,
        'key',
        moneyOn(Math.floor(now / 86_400_000)),
        (first as { generation: number }).generation,
        facts,
        now,
      );
      const plain = await r.reserve(ask(accountId, now));
      const swept = await r.reserve(ask(accountId, now, now + 500));
      if (!plain.ok || !swept.ok) throw new Error('refused');
      expect((await r.claimExpired(now + 2_000, 10, 60_000)).map((c) => c.id)).toEqual([swept.reservation.id]);
      for (const o of [plain, swept]) await r.finalize({ reservation: o.reservation, charge, actualCosts: {}, now });
      const record = (id: string) => `${prefix}{a:${accountId}}:res:${id}`;
      expect(await inspect.hgetall(record(plain.reservation.id))).toEqual({ st: 'done' });
      const plainTtl = await inspect.pttl(record(plain.reservation.id));
      expect(plainTtl).toBeGreaterThan(0);
      expect(plainTtl).toBeLessThanOrEqual(FINISHED_MS);
      expect(await inspect.hgetall(record(swept.reservation.id))).toEqual({ st: 'done' });
      expect(await inspect.pttl(record(swept.reservation.id))).toBeGreaterThan(CLAIMED_FINISHED_MS - 60_000);
    } finally {
      await r.close();
    }
  });
});
