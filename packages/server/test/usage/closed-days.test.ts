import { describe, expect, it } from 'vitest';
import { DAY_MS, dayOf } from '../../src/domain/time.js';
import { ClosedDaySummaries } from '../../src/domain/usage/closed-days.js';
import type { UsageReader, UsageSummary } from '../../src/domain/usage/ports.js';
import { newAccount, newKey } from '../support/app.js';
import { ManualClock } from '../support/clock.js';
import { storeFactories } from '../support/stores.js';
import { record, type UsageBed, useUsageBed } from './support.js';

const NOW = Date.UTC(2026, 2, 2, 10);
const TODAY = dayOf(NOW);

const total = (s: UsageSummary) => s.byDayKey.reduce((a, r) => a + r.usd + r.diem, 0n);
/** Rows in a fixed order: the database groups them in whichever order it likes. */
const sorted = (s: UsageSummary) => {
  const key = (r: object) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
  return { byDayModel: s.byDayModel.map(key).sort(), byDayKey: s.byDayKey.map(key).sort() };
};

for (const factory of storeFactories) {
  const available = await factory.available();
  describe.skipIf(!available)(`closed-day summaries on ${factory.name}`, () => {
    const bed = useUsageBed(factory, { clock: new ManualClock(NOW) });

    /** The store's reader, with the day ranges it was asked for written down. */
    function watched(b: UsageBed) {
      const asked: [number, number][] = [];
      const reader: UsageReader = Object.assign(Object.create(b.store), {
        usageSummary(accountId: string, fromDay: number, toDay: number, keyId?: string) {
          asked.push([fromDay - TODAY, toDay - TODAY]);
          return b.store.usageSummary(accountId, fromDay, toDay, keyId);
        },
      });
      return { reader, asked };
    }

    async function spendOn(accountId: string, keyId: string, day: number) {
      await record(bed, accountId, [
        { keyId, modelId: 'venice-uncensored', at: day * DAY_MS + 3_600_000, prompt: 1000, completion: 100 },
      ]);
    }

    it('reads a long range once, then only the days that may still change', async () => {
      const acct = await newAccount(bed);
      const key = await newKey(bed, acct.accountId);
      for (let d = TODAY - 10; d <= TODAY; d++) await spendOn(acct.accountId, key.id, d);
      const { reader, asked } = watched(bed);
      // Requests settle within 10 minutes: at 10:00 UTC yesterday is final, today is not.
      const days = new ClosedDaySummaries(reader, 600_000);
      const first = await days.summary(acct.accountId, TODAY - 89, TODAY, undefined, NOW);
      const second = await days.summary(acct.accountId, TODAY - 89, TODAY, undefined, NOW);
      expect(sorted(second)).toEqual(sorted(first));
      expect(asked).toEqual([
        [-89, 0],
        [0, 0],
      ]);
      await spendOn(acct.accountId, key.id, TODAY);
      const third = await days.summary(acct.accountId, TODAY - 89, TODAY, undefined, NOW);
      expect(total(third) - total(first)).toBe(total(first) / 11n);
      // Closed days already known are not read again; a longer range reads its new days and the live one.
      await days.summary(acct.accountId, TODAY - 30, TODAY - 1, undefined, NOW);
      await days.summary(acct.accountId, TODAY - 120, TODAY, undefined, NOW);
      expect(asked.slice(3)).toEqual([
        [-120, -90],
        [0, 0],
      ]);
    });

    it('keeps yesterday live while requests admitted then may still settle', async () => {
      const acct = await newAccount(bed);
      const key = await newKey(bed, acct.accountId);
      await spendOn(acct.accountId, key.id, TODAY - 1);
      const { reader, asked } = watched(bed);
      const days = new ClosedDaySummaries(reader, 12 * 3_600_000);
      await days.summary(acct.accountId, TODAY - 9, TODAY, undefined, NOW);
      await spendOn(acct.accountId, key.id, TODAY - 1);
      const later = await days.summary(acct.accountId, TODAY - 9, TODAY, undefined, NOW);
      expect(asked).toEqual([
        [-9, 0],
        [-1, 0],
      ]);
      // Both spends of yesterday, as the database has them now.
      expect(sorted(later)).toEqual(sorted(await bed.store.usageSummary(acct.accountId, TODAY - 9, TODAY)));
    });

    it('keeps an account-wide summary apart from one key’s, and accounts apart', async () => {
      const acct = await newAccount(bed);
      const [a, b] = [await newKey(bed, acct.accountId), await newKey(bed, acct.accountId)];
      await spendOn(acct.accountId, a.id, TODAY - 5);
      await spendOn(acct.accountId, b.id, TODAY - 5);
      const days = new ClosedDaySummaries(bed.store, 600_000);
      const all = await days.summary(acct.accountId, TODAY - 7, TODAY, undefined, NOW);
      const onlyA = await days.summary(acct.accountId, TODAY - 7, TODAY, a.id, NOW);
      expect(total(all)).toBe(2n * total(onlyA));
      expect(onlyA.byDayKey.every((r) => r.apiKeyId === a.id)).toBe(true);
      const other = await newAccount(bed);
      expect(await days.summary(other.accountId, TODAY - 7, TODAY, undefined, NOW)).toEqual({
        byDayModel: [],
        byDayKey: [],
      });
    });
  });
}
