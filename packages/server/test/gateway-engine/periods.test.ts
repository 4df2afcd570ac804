import { beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../../src/domain/errors.js';
import type { GatewayService } from '../../src/domain/gateway/admission.js';
import type { Account, ApiKeyRecord, LimitPeriod } from '../../src/domain/model.js';
import { ManualClock } from '../support/clock.js';
import { reservationFactories } from '../support/reservations.js';
import { sqliteFactory } from '../support/stores.js';
import { demand, type Engine, keyOf, useGateway } from './engine.js';

/** One request of the engine's demand costs 200 micro-units; these limits fit exactly one. */
const ONE_REQUEST = 200n;
const LAST_MS_OF_JAN_31 = Date.UTC(2026, 0, 31, 23, 59, 59, 999);

for (const counters of reservationFactories) {
  const available = await counters.available();
  describe.skipIf(!available)(`limit periods and the DIEM epoch at exact UTC instants: ${counters.name}`, () => {
    const clock = new ManualClock();
    const ctx = useGateway(sqliteFactory, counters, clock);
    let engine: Engine;
    let gateway: GatewayService;
    beforeAll(() => {
      ({ engine, gateway } = ctx);
    });

    /** Admits and settles one whole request at `at`; or the refusal's message. */
    async function spend(key: ApiKeyRecord, account: Account, at: number): Promise<string> {
      clock.set(at);
      try {
        const admitted = await gateway.admit(demand(key, account));
        await admitted.settle({ promptTokens: 100, completionTokens: 50, executionMs: 1 });
        return 'admitted';
      } catch (error) {
        if (isAppError(error)) return error.code;
        throw error;
      }
    }

    async function keyWith(period: LimitPeriod) {
      const account = await engine.account({ usdBalance: 1_000_000n });
      return { account, key: keyOf(account, { limitUsd: ONE_REQUEST, limitPeriod: period }) };
    }

    it('EPOCH resets at 00:00:00.000 UTC, not a millisecond before', async () => {
      const { account, key } = await keyWith('EPOCH');
      expect(await spend(key, account, Date.UTC(2026, 0, 15, 23, 59, 59, 998))).toBe('admitted');
      expect(await spend(key, account, Date.UTC(2026, 0, 15, 23, 59, 59, 999))).toBe('PAYMENT_REQUIRED');
      expect(await spend(key, account, Date.UTC(2026, 0, 16))).toBe('admitted');
      expect(await spend(key, account, Date.UTC(2026, 0, 16, 12))).toBe('PAYMENT_REQUIRED');
    });

    it('MONTH resets at the first instant of the next UTC month, not at a day change', async () => {
      const { account, key } = await keyWith('MONTH');
      expect(await spend(key, account, Date.UTC(2026, 0, 3))).toBe('admitted');
      expect(await spend(key, account, Date.UTC(2026, 0, 20))).toBe('PAYMENT_REQUIRED');
      expect(await spend(key, account, LAST_MS_OF_JAN_31)).toBe('PAYMENT_REQUIRED');
      expect(await spend(key, account, Date.UTC(2026, 1, 1))).toBe('admitted');
      expect(await spend(key, account, Date.UTC(2026, 1, 28, 23, 59, 59, 999))).toBe('PAYMENT_REQUIRED');
      expect(await spend(key, account, Date.UTC(2026, 2, 1))).toBe('admitted');
    });

    it('LIFETIME never resets', async () => {
      const { account, key } = await keyWith('LIFETIME');
      expect(await spend(key, account, Date.UTC(2026, 0, 15))).toBe('admitted');
      expect(await spend(key, account, Date.UTC(2026, 1, 1))).toBe('PAYMENT_REQUIRED');
      expect(await spend(key, account, Date.UTC(2027, 0, 1))).toBe('PAYMENT_REQUIRED');
    });

    it("the account's DIEM allocation is restored at 00:00 UTC", async () => {
      const account = await engine.account({ usdBalance: 0n, diemEpochAllocation: ONE_REQUEST });
      const key = keyOf(account);
      expect(await spend(key, account, Date.UTC(2026, 0, 15, 23, 59, 59, 998))).toBe('admitted');
      expect(await spend(key, account, Date.UTC(2026, 0, 15, 23, 59, 59, 999))).toBe('PAYMENT_REQUIRED');
      expect(await spend(key, account, Date.UTC(2026, 0, 16))).toBe('admitted');
      const lines = await engine.db
        .selectFrom('usage_daily')
        .select(['day', 'diem', 'usd'])
        .where('account_id', '=', account.id)
        .orderBy('day')
        .execute();
      expect(lines.map((l) => [Number(l.day), Number(l.diem), Number(l.usd)])).toEqual([
        [Math.floor(Date.UTC(2026, 0, 15) / 86_400_000), 200, 0],
        [Math.floor(Date.UTC(2026, 0, 16) / 86_400_000), 200, 0],
      ]);
    });
  });
}
