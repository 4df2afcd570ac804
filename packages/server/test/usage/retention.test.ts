import { describe, expect, it } from 'vitest';
import { DAY_MS } from '../../src/domain/time.js';
import { LedgerPruner } from '../../src/domain/usage/retention.js';
import { bearer, newAccount, newKey } from '../support/app.js';
import { ManualClock } from '../support/clock.js';
import { storeFactories } from '../support/stores.js';
import { record, type Spend, useUsageBed } from './support.js';

const NOW = Date.UTC(2026, 5, 1, 12);
const RETENTION_DAYS = 30;

for (const factory of storeFactories) {
  const available = await factory.available();
  describe.skipIf(!available)(`ledger retention on ${factory.name}`, () => {
    const bed = useUsageBed(factory, {
      clock: new ManualClock(NOW),
      config: { usage: { retentionDays: RETENTION_DAYS } },
    });

    async function seeded(oldRequests: number, recentRequests: number) {
      const acct = await newAccount(bed);
      const key = await newKey(bed, acct.accountId);
      const cutoff = NOW - RETENTION_DAYS * DAY_MS;
      const spend = (at: number): Spend => ({
        keyId: key.id,
        modelId: 'venice-uncensored',
        at,
        prompt: 10,
        completion: 10,
      });
      await record(bed, acct.accountId, [
        ...Array.from({ length: oldRequests }, (_, i) => spend(cutoff - 1 - i * 1000)),
        ...Array.from({ length: recentRequests }, (_, i) => spend(cutoff + i * 1000)),
      ]);
      return acct;
    }

    const ledgerSize = async (accountId: string) =>
      Number(
        (
          await bed.db
            .selectFrom('usage_ledger')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .where('account_id', '=', accountId)
            .executeTakeFirstOrThrow()
        ).n,
      );

    const analyticsTotal = async (secret: string) => {
      const res = await bed.app.inject({
        method: 'GET',
        url: '/api/v1/billing/usage-analytics?lookback=90d',
        headers: bearer(secret),
      });
      return res.json().byKey[0].totalUnits as number;
    };

    it('prunes entries older than usage.retentionDays, batch by batch; daily aggregates stay', async () => {
      // The app's own schedule stands aside, so that this sweep is the only one; 600 old lines: more than one batch.
      await bed.services.usage.pruner.stop();
      const acct = await seeded(300, 5);
      const unitsBefore = await analyticsTotal(acct.adminKey);
      const pruned = await bed.services.usage.pruner.sweep();
      expect(pruned).toBe(600);
      expect(await ledgerSize(acct.accountId)).toBe(10);
      expect(await analyticsTotal(acct.adminKey)).toBe(unitsBefore);
      const history = await bed.app.inject({
        method: 'GET',
        url: '/api/v1/billing/usage-history',
        headers: bearer(acct.adminKey),
      });
      const times = history.json().data.map((e: { timestamp: string }) => Date.parse(e.timestamp));
      expect(times).toHaveLength(10);
      expect(Math.min(...times)).toBe(NOW - RETENTION_DAYS * DAY_MS);
      expect(await bed.services.usage.pruner.sweep()).toBe(0);
    });

    it('runs in the background once started, and stops', async () => {
      const acct = await seeded(40, 1);
      const pruner = new LedgerPruner(bed.store, bed.clock, {
        retentionDays: RETENTION_DAYS,
        batchSize: 7,
        intervalMs: 5,
      });
      const failures: unknown[] = [];
      pruner.start((e) => failures.push(e));
      try {
        await expect.poll(() => ledgerSize(acct.accountId), { timeout: 10_000 }).toBe(2);
      } finally {
        await pruner.stop();
      }
      expect(failures).toEqual([]);
    });
  });
}
