import { describe, expect, it } from 'vitest';
import { BREACHES_KEPT_PER_ACCOUNT, pruneExpired } from '../../src/domain/housekeeping.js';
import type { Breach } from '../../src/domain/model.js';
import { newId } from '../../src/domain/secrets.js';
import { newAccount } from '../support/app.js';
import { useTestApp } from '../support/fixture.js';
import { storeFactories } from '../support/stores.js';

/** Issue 10 item 9: the tables that only grew are pruned in the background. */
for (const factory of storeFactories) {
  const available = await factory.available();
  describe.skipIf(!available)(`background pruning on ${factory.name}`, () => {
    const t = useTestApp(factory);

    it('used web3 tokens are kept only until their token expired', async () => {
      const { accountId } = await newAccount(t);
      const now = t.clock.now();
      await t.store.inAccount(accountId, async (tx) => {
        await tx.useWeb3Token('expired-1', now - 20_000, now - 10_000);
        await tx.useWeb3Token('expired-2', now - 20_000, now - 1);
        await tx.useWeb3Token('live', now - 20_000, now + 60_000);
      });
      expect(await t.store.pruneWeb3Tokens(now)).toBe(2);
      expect(await t.store.isWeb3TokenUsed('expired-1')).toBe(false);
      expect(await t.store.isWeb3TokenUsed('live')).toBe(true);
    });

    it('breaches beyond the newest 50 of each account go; the log shows the same 50 as before', async () => {
      const [a, b] = [await newAccount(t), await newAccount(t)];
      const breach = (accountId: string, at: number): Breach => ({
        id: newId(),
        accountId,
        apiKeyId: newId(),
        modelId: 'qwen3-4b',
        tier: 'paid',
        type: 'RPM',
        at,
      });
      const t0 = t.clock.now();
      // 70 for A, some sharing an instant (ties are broken by id, as the log does), 10 for B.
      for (let i = 0; i < 70; i++) await t.store.recordBreach(breach(a.accountId, t0 + Math.floor(i / 3)));
      for (let i = 0; i < 10; i++) await t.store.recordBreach(breach(b.accountId, t0 + i));
      const shownBefore = await t.services.accounts.recentBreaches(a.accountId);
      expect(shownBefore).toHaveLength(BREACHES_KEPT_PER_ACCOUNT);
      const result = await pruneExpired(t.store, t0);
      expect(result.breaches).toBeGreaterThanOrEqual(20);
      expect(await t.store.recentBreaches(a.accountId, 1_000)).toEqual(shownBefore);
      expect(await t.store.recentBreaches(b.accountId, 1_000)).toHaveLength(10);
      expect((await pruneExpired(t.store, t0)).breaches).toBe(0);
    });
  });
}
