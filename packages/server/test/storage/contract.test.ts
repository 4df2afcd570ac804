import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account, NewApiKey } from '../../src/domain/model.js';
import { newId } from '../../src/domain/secrets.js';
import type { Store } from '../../src/storage/types.js';
import { storeFactories } from '../support/stores.js';

/** One contract, every adapter: what the domain relies on from a Store. */

const T0 = Date.UTC(2026, 0, 15, 12);

const account = (over: Partial<Account> = {}): Account => ({
  id: newId(),
  tier: 'paid',
  usdBalance: 0n,
  diemEpochAllocation: 0n,
  walletAddress: null,
  createdAt: T0,
  disabledAt: null,
  ...over,
});

const key = (accountId: string, over: Partial<NewApiKey> = {}): NewApiKey => ({
  id: newId(),
  accountId,
  type: 'INFERENCE',
  description: 'k',
  createdAt: T0,
  expiresAt: null,
  last6: 'abcdef',
  limitUsd: null,
  limitDiem: null,
  limitPeriod: 'EPOCH',
  modelPrivacy: 'ALL',
  secretDigest: newId(),
  ...over,
});

for (const factory of storeFactories) {
  const available = await factory.available();
  describe.skipIf(!available)(`Store contract: ${factory.name}`, () => {
    let store: Store;
    let dispose: () => Promise<void>;

    beforeAll(async () => {
      ({ store, dispose } = await factory.open());
    });
    afterAll(async () => dispose?.());

    async function withAccount(over: Partial<Account> = {}): Promise<Account> {
      const a = account(over);
      await store.createAccount(a);
      return a;
    }
    const insert = (k: NewApiKey) => store.inAccount(k.accountId, (tx) => tx.insertKey(k));

    it('reports its kind', () => {
      expect(store.kind).toBe(factory.name);
    });

    it('creates, reads, lists and counts accounts, with money beyond 2^53 micro-units kept exactly', async () => {
      const before = await store.countAccounts();
      const a = await withAccount({ usdBalance: 9_999_999_999_999_999n, diemEpochAllocation: 5n });
      expect(await store.getAccount(a.id)).toEqual(a);
      expect(await store.getAccount(newId())).toBeUndefined();
      expect(await store.countAccounts()).toBe(before + 1);
      expect((await store.listAccounts()).map((x) => x.id)).toContain(a.id);
    });

    it('credits and updates accounts', async () => {
      const a = await withAccount({ usdBalance: 1n });
      expect((await store.creditUsd(a.id, 4_000_000_000_000_000n))?.usdBalance).toBe(4_000_000_000_000_001n);
      expect(await store.updateAccount(a.id, { tier: 'gold', diemEpochAllocation: 7n })).toMatchObject({
        tier: 'gold',
        diemEpochAllocation: 7n,
      });
      expect(await store.updateAccount(a.id, {})).toMatchObject({ tier: 'gold' });
      expect(await store.creditUsd(newId(), 1n)).toBeUndefined();
    });

    it('disables an account (keeping the first time), shows it with its keys, and enables it', async () => {
      const a = await withAccount();
      const k = key(a.id);
      await insert(k);
      expect((await store.setDisabled(a.id, T0 + 1))?.disabledAt).toBe(T0 + 1);
      expect((await store.setDisabled(a.id, T0 + 2))?.disabledAt).toBe(T0 + 1);
      expect((await store.findKeyByDigest(k.secretDigest))?.account.disabledAt).toBe(T0 + 1);
      expect((await store.listAccounts()).find((x) => x.id === a.id)?.disabledAt).toBe(T0 + 1);
      expect(await store.setDisabled(a.id, null)).toEqual({ ...a, disabledAt: null });
      expect((await store.findKeyByDigest(k.secretDigest))?.account.disabledAt).toBeNull();
      expect(await store.setDisabled(newId(), T0)).toBeUndefined();
    });

    it('links one account to a wallet, even when first mints race', async () => {
      const wallet = `0x${newId().replace(/-/g, '').padEnd(40, '0')}`;
      const results = await Promise.all(
        Array.from({ length: 8 }, () => store.accountForWallet(account({ walletAddress: wallet }))),
      );
      expect(new Set(results.map((r) => r.id)).size).toBe(1);
      expect(results[0]?.walletAddress).toBe(wallet);
    });

    it('finds keys by digest with their account, and by id only within the account', async () => {
      const a = await withAccount();
      const b = await withAccount();
      const k = key(a.id, {
        limitUsd: 9_999_999_999_000_000n,
        limitDiem: 0n,
        expiresAt: T0 + 5,
        limitPeriod: 'LIFETIME',
        modelPrivacy: 'PRIVATE_TEXT',
        type: 'ADMIN',
      });
      await insert(k);
      const found = await store.findKeyByDigest(k.secretDigest);
      const { secretDigest: _d, ...record } = k;
      expect(found).toEqual({ key: { ...record, revokedAt: null, lastUsedAt: null }, account: a });
      expect(await store.findKeyByDigest('nope')).toBeUndefined();
      expect(await store.getKey(a.id, k.id)).toEqual({ ...record, revokedAt: null, lastUsedAt: null });
      expect(await store.getKey(b.id, k.id)).toBeUndefined();
      expect(await store.getKey(a.id, 'not-a-uuid')).toBeUndefined();
    });

    it('lists active keys newest first, ties by id descending, with paging', async () => {
      const a = await withAccount();
      const ks = [
        key(a.id, { createdAt: T0 + 1 }),
        key(a.id, { createdAt: T0 + 3 }),
        key(a.id, { createdAt: T0 + 3 }),
        key(a.id, { createdAt: T0 + 2, expiresAt: T0 + 10 }),
        key(a.id, { createdAt: T0 + 4 }),
      ];
      for (const k of ks) await insert(k);
      await store.inAccount(a.id, (tx) => tx.revokeKey(ks[4]?.id as string, T0 + 5));
      const tie = [ks[1]?.id, ks[2]?.id].sort().reverse();
      const ids = async (now: number, page?: { offset: number; limit: number }) =>
        (await store.listActiveKeys(a.id, now, page)).map((k) => k.id);
      expect(await ids(T0 + 9)).toEqual([...tie, ks[3]?.id, ks[0]?.id]);
      expect(await ids(T0 + 10)).toEqual([...tie, ks[0]?.id]);
      expect(await ids(T0 + 9, { offset: 1, limit: 2 })).toEqual([tie[1], ks[3]?.id]);
      expect(await ids(T0 + 9, { offset: 4, limit: 2 })).toEqual([]);
    });

    it('touches lastUsedAt', async () => {
      const a = await withAccount();
      const k = key(a.id);
      await insert(k);
      await store.touchKey(k.id, T0 + 99);
      expect((await store.getKey(a.id, k.id))?.lastUsedAt).toBe(T0 + 99);
    });

    it('sums spend per key and per account from a day on', async () => {
      const a = await withAccount();
      const [k1, k2] = [key(a.id), key(a.id)];
      await insert(k1);
      await insert(k2);
      await store.recordSpend(a.id, k1.id, 100, { usd: 1n, diem: 2n });
      await store.recordSpend(a.id, k1.id, 100, { usd: 10n, diem: 20n });
      await store.recordSpend(a.id, k1.id, 101, { usd: 100n, diem: 0n });
      await store.recordSpend(a.id, k2.id, 99, { usd: 5_000_000_000_000_000n, diem: 0n });
      expect(await store.spendByKey(a.id, 100)).toEqual(new Map([[k1.id, { usd: 111n, diem: 22n }]]));
      expect(await store.spendByKey(a.id, 0, [k2.id])).toEqual(
        new Map([[k2.id, { usd: 5_000_000_000_000_000n, diem: 0n }]]),
      );
      expect(await store.spendByKey(a.id, 0, [])).toEqual(new Map());
      expect(await store.accountSpend(a.id, 101)).toEqual({ usd: 100n, diem: 0n });
      expect(await store.accountSpend(a.id, 0)).toEqual({ usd: 5_000_000_000_000_111n, diem: 22n });
      expect(await store.accountSpend(a.id, 200)).toEqual({ usd: 0n, diem: 0n });
    });

    it('records breaches and returns the newest first', async () => {
      const a = await withAccount();
      for (let i = 0; i < 3; i++) {
        await store.recordBreach({
          id: newId(),
          accountId: a.id,
          apiKeyId: 'k',
          modelId: `m${i}`,
          tier: 'paid',
          type: 'RPM',
          at: T0 + i,
        });
      }
      const got = await store.recentBreaches(a.id, 2);
      expect(got.map((b) => b.modelId)).toEqual(['m2', 'm1']);
      expect(got[0]).toMatchObject({ accountId: a.id, apiKeyId: 'k', tier: 'paid', type: 'RPM', at: T0 + 2 });
    });

    it('answers the account transaction queries', async () => {
      const a = await withAccount();
      const admin = key(a.id, { type: 'ADMIN', createdAt: T0 });
      const admin2 = key(a.id, { type: 'ADMIN', createdAt: T0 + 10, expiresAt: T0 + 100 });
      const inf = key(a.id, { createdAt: T0 + 20 });
      await store.inAccount(a.id, async (tx) => {
        for (const k of [admin, admin2, inf]) await tx.insertKey(k);
        expect(await tx.countActiveKeys(T0 + 50)).toBe(3);
        expect(await tx.countActiveKeys(T0 + 100)).toBe(2);
        expect((await tx.otherActiveAdminKeys(T0 + 50, admin.id)).map((k) => k.id)).toEqual([admin2.id]);
        expect(await tx.otherActiveAdminKeys(T0 + 100, admin.id)).toEqual([]);
        expect(await tx.keysCreatedSince(T0 + 10)).toEqual([T0 + 10, T0 + 20]);
        await tx.updateKey(inf.id, { description: 'new', limitUsd: 5n, expiresAt: T0 + 7 });
        await tx.updateKey(inf.id, { limitUsd: null });
        await tx.updateKey(inf.id, {});
        expect(await tx.getKey(inf.id)).toMatchObject({
          description: 'new',
          limitUsd: null,
          expiresAt: T0 + 7,
          limitDiem: null,
        });
        await tx.revokeKey(admin2.id, T0 + 30);
        expect((await tx.getKey(admin2.id))?.revokedAt).toBe(T0 + 30);
      });
    });

    it('keeps idempotency records per account', async () => {
      const a = await withAccount();
      const b = await withAccount();
      const rec = { keyDigest: 'd', requestHash: 'h', sealedResponse: 's', createdAt: T0, expiresAt: T0 + 1 };
      await store.inAccount(a.id, (tx) => tx.putIdempotency(rec));
      expect(await store.inAccount(a.id, (tx) => tx.getIdempotency('d'))).toEqual(rec);
      expect(await store.inAccount(b.id, (tx) => tx.getIdempotency('d'))).toBeUndefined();
      await store.inAccount(a.id, (tx) => tx.deleteIdempotency('d'));
      expect(await store.inAccount(a.id, (tx) => tx.getIdempotency('d'))).toBeUndefined();
    });

    it('uses a web3 token once, and not at all when the transaction fails', async () => {
      const a = await withAccount();
      const jti = newId();
      await expect(
        store.inAccount(a.id, async (tx) => {
          expect(await tx.useWeb3Token(jti, T0, T0 + 1)).toBe(true);
          throw new Error('later check failed');
        }),
      ).rejects.toThrow('later check failed');
      expect(await store.isWeb3TokenUsed(jti)).toBe(false);
      expect(await store.inAccount(a.id, (tx) => tx.useWeb3Token(jti, T0, T0 + 1))).toBe(true);
      expect(await store.isWeb3TokenUsed(jti)).toBe(true);
      expect(await store.inAccount(a.id, (tx) => tx.useWeb3Token(jti, T0, T0 + 1))).toBe(false);
    });

    it('never shows another reader a key of a transaction still in flight', async () => {
      const a = await withAccount();
      const k = key(a.id);
      await store.inAccount(a.id, async (tx) => {
        await tx.insertKey(k);
        expect(await tx.getKey(k.id)).toBeDefined();
        expect(await store.getKey(a.id, k.id)).toBeUndefined();
        expect(await store.findKeyByDigest(k.secretDigest)).toBeUndefined();
      });
      expect(await store.getKey(a.id, k.id)).toBeDefined();
      expect(await store.findKeyByDigest(k.secretDigest)).toBeDefined();
    });

    it('rolls back everything an account transaction did when it throws', async () => {
      const a = await withAccount();
      const k = key(a.id);
      await expect(
        store.inAccount(a.id, async (tx) => {
          await tx.insertKey(k);
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await store.getKey(a.id, k.id)).toBeUndefined();
    });

    it('serialises the account transactions of one account', async () => {
      const a = await withAccount();
      // Check-then-insert under concurrency: without serialisation more than 5 would get in.
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, () =>
          store.inAccount(a.id, async (tx) => {
            if ((await tx.countActiveKeys(T0)) >= 5) return false;
            await tx.insertKey(key(a.id));
            return true;
          }),
        ),
      );
      expect(outcomes.filter(Boolean)).toHaveLength(5);
      expect(await store.listActiveKeys(a.id, T0)).toHaveLength(5);
    });

    it('keeps the first value of a setting', async () => {
      const name = `s-${newId()}`;
      expect(await store.getSetting(name)).toBeUndefined();
      expect(await store.initSetting(name, 'first')).toBe('first');
      expect(await store.initSetting(name, 'second')).toBe('first');
      expect(await store.getSetting(name)).toBe('first');
    });
  });
}
