import { beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../../src/domain/errors.js';
import type { GatewayService } from '../../src/domain/gateway/admission.js';
import { moneyAsk } from '../../src/domain/gateway/windows.js';
import { ManualClock } from '../support/clock.js';
import { reservationFactories } from '../support/reservations.js';
import { storeFactories } from '../support/stores.js';
import { demand, type Engine, keyOf, MODEL, sums, T0, useGateway } from './engine.js';

async function refusal(p: Promise<unknown>) {
  try {
    await p;
  } catch (error) {
    if (isAppError(error)) return error;
    throw error;
  }
  throw new Error('admitted');
}

const combinations = storeFactories.flatMap((store) => reservationFactories.map((counters) => ({ store, counters })));

for (const { store: factory, counters } of combinations) {
  const available = (await factory.available()) && (await counters.available());
  describe.skipIf(!available)(`GatewayService admission and settlement: ${factory.name} + ${counters.name}`, () => {
    const clock = new ManualClock(T0);
    const ctx = useGateway(factory, counters, clock);
    let engine: Engine;
    let gateway: GatewayService;
    beforeAll(() => {
      ({ engine, gateway } = ctx);
    });

    it('flush returns once every settlement begun is durable and released in the counters', async () => {
      const account = await engine.account({ usdBalance: 10_000_000n });
      const key = keyOf(account);
      const admitted = await Promise.all(Array.from({ length: 20 }, () => gateway.admit(demand(key, account))));
      for (const a of admitted) void a.settle({ promptTokens: 80, completionTokens: 30, executionMs: 1 });
      await gateway.flush();
      expect(await ctx.reservations.peekSpendable(account.id, key.id, moneyAsk(key, account, 0n, T0))).toEqual({
        usd: 10_000_000n - 20n * 140n,
        diem: 0n,
      });
    });

    it('admits with rate-limit and balance headers, settles once to the reported usage', async () => {
      const account = await engine.account({ usdBalance: 10_000_000n });
      const key = keyOf(account);
      const admitted = await gateway.admit(demand(key, account));
      expect(admitted.headers).toEqual({
        'x-ratelimit-limit-requests': '1000000',
        'x-ratelimit-remaining-requests': '999999',
        'x-ratelimit-reset-requests': String(Date.UTC(2026, 0, 15, 12, 1)),
        'x-ratelimit-limit-tokens': '1000000000',
        'x-ratelimit-remaining-tokens': String(1_000_000_000 - 150),
        'x-ratelimit-reset-tokens': String(Date.UTC(2026, 0, 15, 12, 1)),
        'x-venice-balance-usd': '10.0000',
        'x-venice-balance-diem': '0.0000',
      });
      // 80 prompt tokens at $1/M and 30 output at $2/M; a usage above the bounds is capped at the hold.
      expect(admitted.costOf({ promptTokens: 80, completionTokens: 30 })).toEqual({ usd: 140n, diem: 0n });
      expect(admitted.costOf({ promptTokens: 1_000, completionTokens: 1_000 })).toEqual({ usd: 200n, diem: 0n });
      await admitted.settle({ promptTokens: 80, completionTokens: 30, executionMs: 12 });
      await admitted.settle({ promptTokens: 100, completionTokens: 50, executionMs: 12 });
      await admitted.release();
      expect(await sums(engine.db, account.id)).toMatchObject({
        ledgerUsd: 140n,
        dailyUsd: 140n,
        balance: 10_000_000n - 140n,
      });
      const lines = await engine.db
        .selectFrom('usage_ledger')
        .selectAll()
        .where('account_id', '=', account.id)
        .orderBy('sku')
        .execute();
      expect(lines.map((l) => [l.sku, l.kind, Number(l.tokens), Number(l.amount), l.currency])).toEqual([
        ['test-model-llm-input-mtoken', 'input', 80, 80, 'USD'],
        ['test-model-llm-output-mtoken', 'output', 30, 60, 'USD'],
      ]);
      const next = await gateway.admit(demand(key, account));
      expect(next.headers['x-venice-balance-usd']).toBe('9.9998');
      expect(next.headers['x-ratelimit-remaining-tokens']).toBe(String(1_000_000_000 - 110 - 150));
      await next.release();
    });

    it('splits a charge DIEM first, then USD, one ledger line per SKU and currency', async () => {
      const account = await engine.account({ usdBalance: 1_000n, diemEpochAllocation: 150n });
      const admitted = await gateway.admit(demand(keyOf(account), account));
      expect(admitted.headers['x-venice-balance-diem']).toBe('0.0001');
      await admitted.settle({ promptTokens: 100, completionTokens: 50, executionMs: 1 });
      const lines = await engine.db
        .selectFrom('usage_ledger')
        .select(['kind', 'currency', 'amount', 'tokens'])
        .where('account_id', '=', account.id)
        .orderBy('kind')
        .orderBy('currency')
        .execute();
      expect(lines.map((l) => [l.kind, l.currency, Number(l.amount), Number(l.tokens)])).toEqual([
        ['input', 'DIEM', 100, 100],
        ['output', 'DIEM', 50, 25],
        ['output', 'USD', 50, 25],
      ]);
      expect(await sums(engine.db, account.id)).toMatchObject({ dailyDiem: 150n, dailyUsd: 50n, balance: 950n });
    });

    it('answers in WIRE order: error budget, privacy, rate limits (breach logged), money', async () => {
      const account = await engine.account({ usdBalance: 150n });
      const key = keyOf(account, { modelPrivacy: 'PRIVATE_ONLY' });
      const anonymous = { ...MODEL, id: 'anon-model', privacy: 'anonymous' as const };
      const privacy = await refusal(gateway.admit(demand(key, account, { model: anonymous })));
      expect(privacy.code).toBe('FORBIDDEN');
      expect(privacy.message).toBe(
        "This API key is set to 'PRIVATE_ONLY', but `anon-model` is an Anonymous model. Choose a Private, TEE, or E2EE model, or change the model privacy setting of this API key.",
      );
      expect(privacy.body).toEqual({ code: 'MODEL_PRIVACY_RESTRICTED' });

      const poor = await refusal(gateway.admit(demand(key, account)));
      expect(poor.code).toBe('PAYMENT_REQUIRED');
      expect(poor.message).toBe('Insufficient USD or Diem balance to complete request.');
      expect(poor.headers?.['x-venice-balance-usd']).toBe('0.0001');

      for (let i = 0; i < 51; i++) await gateway.recordFailure(key, account, 400, 'anon-model');
      const blocked = await refusal(gateway.admit(demand(key, account, { model: anonymous })));
      expect(blocked.code).toBe('RATE_LIMITED');
      expect(blocked.message).toBe(
        'Too many failed attempts (> 50) resulting in a non-success status code. Please wait 30 seconds and try again.',
      );
      expect(blocked.headers).toEqual({ 'x-ratelimit-remaining': '0', 'x-ratelimit-resets': String(T0 + 30_000) });
      expect(blocked.retryAfterMs).toBe(30_000);
      await gateway.recordFailure(key, account, 400, 'anon-model');
      const log = await engine.store.recentBreaches(account.id, 50);
      expect(log.map((b) => [b.type, b.modelId, b.apiKeyId])).toEqual([['FAILED_REQUESTS', 'anon-model', key.id]]);
    });

    it('refuses on RPM with Retry-After and a breach; a TPM refusal leaves RPM untouched', async () => {
      const account = await engine.account();
      const key = keyOf(account);
      const model = { ...MODEL, id: 'tight', rateLimits: { paid: { RPM: 2, RPD: 100, TPM: 1_000 } } };
      const tooMany = demand(key, account, { model, promptTokensEstimate: 600, outputTokensUpper: 300 });
      const first = await gateway.admit(tooMany);
      const tpm = await refusal(gateway.admit(tooMany));
      expect(tpm.code).toBe('RATE_LIMITED');
      expect(tpm.message).toBe('Rate limit exceeded');
      expect(tpm.retryAfterMs).toBe(30_000);
      expect(tpm.headers?.['x-ratelimit-remaining-requests']).toBe('1');
      await first.settle({ promptTokens: 100, completionTokens: 0, executionMs: 1 });
      // The token window was corrected to the real count (100), so the same request fits now.
      const second = await gateway.admit(tooMany);
      expect(second.headers['x-ratelimit-remaining-requests']).toBe('0');
      const rpm = await refusal(gateway.admit(demand(key, account, { model })));
      expect(rpm.retryAfterMs).toBe(30_000);
      const log = await engine.store.recentBreaches(account.id, 50);
      expect(log.map((b) => b.type).sort()).toEqual(['RPM', 'TPM']);
      await second.release();
    });

    it('clamps the TPM cost of a request that fits, refuses one larger than the whole limit', async () => {
      const account = await engine.account();
      const key = keyOf(account);
      const model = { ...MODEL, id: 'tpm', rateLimits: { paid: { RPM: 100, RPD: 100, TPM: 1_000 } } };
      const fits = await gateway.admit(
        demand(key, account, { model, promptTokensEstimate: 900, outputTokensUpper: 4_096 }),
      );
      expect(fits.headers['x-ratelimit-remaining-tokens']).toBe('0');
      await fits.release();
      const tooLarge = await refusal(gateway.admit(demand(key, account, { model, promptTokensEstimate: 1_001 })));
      expect(tooLarge.code).toBe('RATE_LIMITED');
    });

    it('refuses past the key limits with the key USD and DIEM messages', async () => {
      const account = await engine.account({ usdBalance: 1_000_000n, diemEpochAllocation: 1_000_000n });
      const usdKey = keyOf(account, { limitUsd: 100n, limitDiem: 0n });
      const usd = await refusal(gateway.admit(demand(usdKey, account)));
      expect(usd.message).toBe(
        'API key USD spend limit exceeded. Your account may still have USD balance, but this API key has reached its configured USD spending limit.',
      );
      const other = await engine.account({ usdBalance: 0n, diemEpochAllocation: 1_000_000n });
      const diemKey = keyOf(other, { limitDiem: 100n });
      const diem = await refusal(gateway.admit(demand(diemKey, other)));
      expect(diem.message).toBe(
        'API key DIEM spend limit exceeded. Your account may still have DIEM balance, but this API key has reached its configured DIEM spending limit.',
      );
    });

    it('a release charges nothing and no sweeper charges it later; an expired reservation is charged its hold', async () => {
      const account = await engine.account({ usdBalance: 1_000n });
      const key = keyOf(account);
      const released = await gateway.admit(demand(key, account));
      await released.release();
      const abandoned = await gateway.admit(demand(key, account));
      clock.advance(60_000 + 30_000 + 1);
      expect(await gateway.sweepExpired()).toBe(1);
      expect(await gateway.sweepExpired()).toBe(0);
      // The crashed instance's settlement arriving late changes nothing.
      await abandoned.settle({ promptTokens: 1, completionTokens: 0, executionMs: 1 });
      expect(await sums(engine.db, account.id)).toMatchObject({ ledgerUsd: 200n, dailyUsd: 200n, balance: 800n });
      const again = await gateway.admit(demand(key, account));
      expect(again.headers['x-venice-balance-usd']).toBe('0.0008');
      await again.release();
      clock.set(T0);
    });
  });
}
