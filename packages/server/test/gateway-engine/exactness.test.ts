import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRedisReservations, type RedisReservations } from '../../src/counters/reservations-redis.js';
import { isAppError } from '../../src/domain/errors.js';
import type { Admitted, GatewayService } from '../../src/domain/gateway/admission.js';
import { ManualClock } from '../support/clock.js';
import { redisReachable } from '../support/reservations.js';
import { postgresFactory, REDIS_URL, serviceAvailable } from '../support/stores.js';
import { demand, type Engine, keyOf, MODEL, openEngine, problems, sums, T0 } from './engine.js';

/** 100 prompt + 50 output tokens: the bound and the real cost are both 200 micro-units. */
const COST = 200n;
const INSTANCES = 3;
const CONCURRENT = 1_000;

const available = (await postgresFactory.available()) && (await serviceAvailable('Redis', redisReachable));

/**
 * Several gateway instances in one process, each with its own Redis connection and database pool, over one
 * PostgreSQL schema and one Redis prefix: what three server processes share, without HTTP.
 */
describe.skipIf(!available)('exactness: several GatewayService instances over one PostgreSQL + Redis', () => {
  let engine: Engine;
  const clock = new ManualClock(T0);
  let gateways: GatewayService[];
  let adapters: RedisReservations[];

  beforeAll(async () => {
    engine = await openEngine(postgresFactory);
    const prefix = `test:${randomUUID()}:`;
    adapters = await Promise.all(Array.from({ length: INSTANCES }, () => openRedisReservations(REDIS_URL, prefix)));
    gateways = adapters.map((a) => engine.gateway(a, clock));
  });
  afterAll(async () => {
    expect(problems).toEqual([]);
    await Promise.all(adapters?.map((a) => a.close()) ?? []);
    await engine?.dispose();
  });

  /** Fires every admission at once, round robin over the instances; settles each admitted one as it comes. */
  async function storm(make: (i: number) => Parameters<GatewayService['admit']>[0], settle = true) {
    const refusals = new Map<string, number>();
    const admitted: Admitted[] = [];
    await Promise.all(
      Array.from({ length: CONCURRENT }, async (_, i) => {
        try {
          const a = await (gateways[i % INSTANCES] as GatewayService).admit(make(i));
          admitted.push(a);
          if (settle) await a.settle({ promptTokens: 100, completionTokens: 50, executionMs: 1 });
        } catch (error) {
          if (!isAppError(error)) throw error;
          refusals.set(error.message, (refusals.get(error.message) ?? 0) + 1);
        }
      }),
    );
    await Promise.all(gateways.map((g) => g.flush()));
    return { admitted, refusals };
  }

  it('a key whose USD limit fits exactly 50 requests admits exactly 50; the ledger sums to the limit', async () => {
    const account = await engine.account({ usdBalance: 1_000_000_000n });
    const key = keyOf(account, { limitUsd: 50n * COST });
    const { admitted, refusals } = await storm(() => demand(key, account));
    expect(admitted).toHaveLength(50);
    expect([...refusals.keys()]).toEqual([
      'API key USD spend limit exceeded. Your account may still have USD balance, but this API key has reached its configured USD spending limit.',
    ]);
    expect(await sums(engine.db, account.id)).toMatchObject({
      ledgerUsd: 50n * COST,
      dailyUsd: 50n * COST,
      balance: 1_000_000_000n - 50n * COST,
    });
  });

  it('an account balance that fits exactly 50 requests admits exactly 50 and ends at zero', async () => {
    const account = await engine.account({ usdBalance: 50n * COST });
    const { admitted, refusals } = await storm(() => demand(keyOf(account), account));
    expect(admitted).toHaveLength(50);
    expect([...refusals.keys()]).toEqual(['Insufficient USD or Diem balance to complete request.']);
    expect(await sums(engine.db, account.id)).toMatchObject({ ledgerUsd: 50n * COST, balance: 0n });
  });

  it('DIEM first then USD under concurrency: exactly the allocation plus the balance is spent', async () => {
    const account = await engine.account({ usdBalance: 20n * COST, diemEpochAllocation: 30n * COST });
    const { admitted } = await storm(() => demand(keyOf(account), account));
    expect(admitted).toHaveLength(50);
    expect(await sums(engine.db, account.id)).toMatchObject({
      ledgerDiem: 30n * COST,
      ledgerUsd: 20n * COST,
      dailyDiem: 30n * COST,
      balance: 0n,
    });
  });

  it('RPM 100 admits exactly 100 in the window; the next window admits again', async () => {
    const account = await engine.account({ usdBalance: 1_000_000_000n });
    const key = keyOf(account);
    const model = { ...MODEL, id: 'rpm-100', rateLimits: { paid: { RPM: 100, RPD: 1_000_000, TPM: 1_000_000_000 } } };
    const { admitted, refusals } = await storm(() => demand(key, account, { model }), false);
    expect(admitted).toHaveLength(100);
    expect(refusals).toEqual(new Map([['Rate limit exceeded', 900]]));
    await Promise.all(admitted.map((a) => a.release()));
    expect(await sums(engine.db, account.id)).toMatchObject({ ledgerUsd: 0n, balance: 1_000_000_000n });
    clock.advance(60_000);
    const next = await (gateways[1] as GatewayService).admit(demand(key, account, { model }));
    expect(next.headers['x-ratelimit-remaining-requests']).toBe('99');
    await next.release();
    clock.set(T0);
  });

  it('requests refused by TPM leave RPM untouched on every instance', async () => {
    const account = await engine.account({ usdBalance: 1_000_000_000n });
    const key = keyOf(account);
    const model = { ...MODEL, id: 'tpm-1000', rateLimits: { paid: { RPM: 1_000, RPD: 1_000_000, TPM: 1_000 } } };
    const { admitted, refusals } = await storm(
      () => demand(key, account, { model, promptTokensEstimate: 600, outputTokensUpper: 300 }),
      false,
    );
    expect(admitted).toHaveLength(1);
    expect(refusals).toEqual(new Map([['Rate limit exceeded', CONCURRENT - 1]]));
    expect(admitted[0]?.headers['x-ratelimit-remaining-requests']).toBe('999');
    const probe = await (gateways[2] as GatewayService).admit(
      demand(key, account, { model, promptTokensEstimate: 1, outputTokensUpper: 1 }),
    );
    expect(probe.headers['x-ratelimit-remaining-requests']).toBe('998');
    await Promise.all([admitted[0]?.release(), probe.release()]);
  });

  it('settlements below the hold interleaved with admissions never overspend a key limit', async () => {
    const account = await engine.account({ usdBalance: 1_000_000_000n });
    const limit = 50n * COST;
    const key = keyOf(account, { limitUsd: limit });
    let admitted = 0;
    // Waves of concurrent requests; each settles below its hold (real usage varies), freeing room for the next wave.
    for (let wave = 0; wave < 5; wave++)
      await Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          try {
            const a = await (gateways[i % INSTANCES] as GatewayService).admit(demand(key, account));
            admitted++;
            await a.settle({ promptTokens: i % 100, completionTokens: i % 50, executionMs: 1 });
          } catch (error) {
            if (!isAppError(error)) throw error;
          }
        }),
      );
    await Promise.all(gateways.map((g) => g.flush()));
    const totals = await sums(engine.db, account.id);
    expect(admitted).toBeGreaterThan(50);
    expect(totals.ledgerUsd).toBeLessThanOrEqual(limit);
    expect(totals.dailyUsd).toBe(totals.ledgerUsd);
    const left = await (gateways[0] as GatewayService).admit(
      demand(key, account, { promptTokensUpper: 0, outputTokensUpper: 0 }),
    );
    expect(left.headers['x-venice-balance-usd']).toBe(
      (Number(limit - totals.ledgerUsd - ((limit - totals.ledgerUsd) % 100n)) / 1e6).toFixed(4),
    );
    await left.release();
  });

  it('reservations of a crashed instance expire and are settled once, at their hold, by the sweepers of the others', async () => {
    const account = await engine.account({ usdBalance: 1_000_000n });
    const key = keyOf(account);
    const crashed = gateways[0] as GatewayService;
    const held = await Promise.all(Array.from({ length: 20 }, () => crashed.admit(demand(key, account))));
    clock.advance(60_000 + 30_000 + 1);
    // Both surviving instances sweep at once: the claims keep them from settling the same reservation twice.
    const swept = await Promise.all([
      (gateways[1] as GatewayService).sweepExpired(),
      (gateways[2] as GatewayService).sweepExpired(),
    ]);
    expect(swept[0] + swept[1]).toBe(20);
    // The crashed instance coming back and settling late changes nothing.
    await Promise.all(held.map((a) => a.settle({ promptTokens: 1, completionTokens: 1, executionMs: 1 })));
    await Promise.all(gateways.map((g) => g.flush()));
    expect(await sums(engine.db, account.id)).toMatchObject({
      ledgerUsd: 20n * COST,
      balance: 1_000_000n - 20n * COST,
    });
    const next = await (gateways[1] as GatewayService).admit(demand(key, account));
    expect(next.headers['x-venice-balance-usd']).toBe('0.9960');
    await next.release();
    clock.set(T0);
  });
});
