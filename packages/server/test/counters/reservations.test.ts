import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  MoneyAsk,
  Reservations,
  ReserveOutcome,
  ReserveRequest,
  WindowAsk,
} from '../../src/domain/ports/reservations.js';
import { reservationFactories } from '../support/reservations.js';

const T0 = Date.UTC(2026, 0, 15, 12, 0, 30);
const DAY = Math.floor(T0 / 86_400_000);
const BUDGET = { threshold: 3, windowMs: 30_000, blockMs: 30_000 };

const money = (over: Partial<MoneyAsk> = {}): MoneyAsk => ({
  amount: 100n,
  day: DAY,
  diemAllocation: 0n,
  keyPeriodStart: DAY,
  keyPeriodEndsAt: (DAY + 1) * 86_400_000,
  keyLimitUsd: null,
  keyLimitDiem: null,
  ...over,
});

const rpm = (limit: number, cost = 1): WindowAsk => ({ name: 'm:RPM', windowMs: 60_000, limit, cost });
const tpm = (limit: number, cost: number): WindowAsk => ({ name: 'm:TPM', windowMs: 60_000, limit, cost });

function ask(accountId: string, keyId: string, over: Partial<ReserveRequest> = {}): ReserveRequest {
  return {
    id: randomUUID(),
    accountId,
    keyId,
    windows: [],
    money: money(),
    now: T0,
    deadline: T0 + 60_000,
    meta: '{"m":1}',
    ...over,
  };
}

/** An account with its mirrors built from the given database facts. */
async function account(r: Reservations, facts: { usd?: bigint; diemSpent?: bigint; keyUsd?: bigint } = {}) {
  const accountId = randomUUID();
  const keyId = randomUUID();
  const first = await r.reserve(ask(accountId, keyId));
  expect(first).toMatchObject({ ok: false, reason: 'missing' });
  const generation = (first as { generation: number }).generation;
  const init = await r.initMirrors(
    accountId,
    keyId,
    money(),
    generation,
    {
      usdBalance: facts.usd ?? 1_000n,
      diemSpentOnDay: facts.diemSpent ?? 0n,
      keySpent: { usd: facts.keyUsd ?? 0n, diem: 0n },
    },
    T0,
  );
  expect(init).toBe(true);
  return { accountId, keyId };
}

const held = (o: ReserveOutcome) => {
  if (!o.ok) throw new Error(`refused: ${o.reason}`);
  return o;
};

for (const factory of reservationFactories) {
  const available = await factory.available();
  describe.skipIf(!available)(`Reservations contract: ${factory.name}`, () => {
    let r: Reservations;
    beforeAll(async () => {
      r = await factory.open();
    });
    afterAll(async () => r?.close());

    it('reports missing mirrors until they are built, then holds USD and reports what was spendable before', async () => {
      const { accountId, keyId } = await account(r, { usd: 1_000n });
      const o = held(await r.reserve(ask(accountId, keyId, { money: money({ amount: 300n }) })));
      expect(o.reservation).toMatchObject({ usd: 300n, diem: 0n, day: DAY, keyPeriodStart: DAY, meta: '{"m":1}' });
      expect(o.spendable).toEqual({ usd: 1_000n, diem: 0n });
      expect(await r.peekSpendable(accountId, keyId, money())).toEqual({ usd: 700n, diem: 0n });
      expect(await r.peekSpendable(randomUUID(), keyId, money())).toBeNull();
    });

    it('holds DIEM of the day first, then USD, each within the key limits', async () => {
      const { accountId, keyId } = await account(r, { usd: 1_000n, diemSpent: 40n });
      const m = money({ amount: 100n, diemAllocation: 100n });
      const o = held(await r.reserve(ask(accountId, keyId, { money: m })));
      expect(o.reservation).toMatchObject({ diem: 60n, usd: 40n });
      expect(o.spendable).toEqual({ usd: 1_000n, diem: 60n });
      const capped = money({ amount: 100n, diemAllocation: 1_000n, keyLimitDiem: 30n });
      const other = await account(r, { usd: 1_000n });
      const split = held(await r.reserve(ask(other.accountId, other.keyId, { money: capped })));
      expect(split.reservation).toMatchObject({ diem: 30n, usd: 70n });
      // Settled below the hold: DIEM is charged first, the USD hold released whole.
      await r.finalize({ reservation: split.reservation, charge: { usd: 0n, diem: 20n }, actualCosts: {}, now: T0 });
      expect(await r.peekSpendable(other.accountId, other.keyId, capped)).toEqual({ usd: 1_000n, diem: 10n });
    });

    it('refuses money with the reason: key USD limit, key DIEM limit, account balance; nothing counted', async () => {
      const { accountId, keyId } = await account(r, { usd: 1_000n, keyUsd: 950n });
      const w = [rpm(10)];
      const keyUsd = await r.reserve(ask(accountId, keyId, { windows: w, money: money({ keyLimitUsd: 1_000n }) }));
      expect(keyUsd).toMatchObject({ ok: false, reason: 'key_usd', spendable: { usd: 50n, diem: 0n } });
      const keyDiem = await r.reserve(
        ask(accountId, keyId, {
          windows: w,
          money: money({ amount: 2_000n, diemAllocation: 5_000n, keyLimitDiem: 10n }),
        }),
      );
      expect(keyDiem).toMatchObject({ ok: false, reason: 'key_diem' });
      const poor = await r.reserve(ask(accountId, keyId, { windows: w, money: money({ amount: 1_001n }) }));
      expect(poor).toMatchObject({ ok: false, reason: 'balance' });
      expect((await r.peekWindows(accountId, w, T0))[0]?.used).toBe(0);
      expect(await r.peekSpendable(accountId, keyId, money())).toEqual({ usd: 1_000n, diem: 0n });
      // Exactly the balance fits.
      held(await r.reserve(ask(accountId, keyId, { money: money({ amount: 1_000n }) })));
      expect(await r.peekSpendable(accountId, keyId, money())).toEqual({ usd: 0n, diem: 0n });
    });

    it('counts windows all or nothing, refusing with the time to the window end', async () => {
      const { accountId, keyId } = await account(r);
      const w = [rpm(2), tpm(100, 60)];
      held(await r.reserve(ask(accountId, keyId, { windows: w })));
      const refused = await r.reserve(ask(accountId, keyId, { windows: w, now: T0 + 1_000 }));
      expect(refused).toMatchObject({
        ok: false,
        reason: 'window',
        failed: 1,
        firstRefusal: true,
        retryAfterMs: 29_000,
      });
      const again = await r.reserve(ask(accountId, keyId, { windows: w, now: T0 + 2_000 }));
      expect(again).toMatchObject({ ok: false, reason: 'window', failed: 1, firstRefusal: false });
      const states = await r.peekWindows(accountId, w, T0);
      expect(states.map((s) => s.used)).toEqual([1, 60]);
      expect(states[0]?.resetsAt).toBe(Date.UTC(2026, 0, 15, 12, 1));
      expect(await r.peekSpendable(accountId, keyId, money())).toEqual({ usd: 900n, diem: 0n });
      // The next minute is a new window.
      const next = held(await r.reserve(ask(accountId, keyId, { windows: w, now: Date.UTC(2026, 0, 15, 12, 1) })));
      expect(next.windows.map((s) => s.used)).toEqual([1, 60]);
    });

    it('finalizes once: releases the rest, corrects the token window, a second finalize does nothing', async () => {
      const { accountId, keyId } = await account(r, { usd: 1_000n });
      const w = [rpm(10), tpm(1_000, 500)];
      const o = held(await r.reserve(ask(accountId, keyId, { windows: w, money: money({ amount: 400n }) })));
      const f = { reservation: o.reservation, charge: { usd: 150n, diem: 0n }, actualCosts: { 'm:TPM': 120 }, now: T0 };
      await r.finalize(f);
      await r.finalize(f);
      expect(await r.peekSpendable(accountId, keyId, money())).toEqual({ usd: 850n, diem: 0n });
      expect((await r.peekWindows(accountId, w, T0)).map((s) => s.used)).toEqual([1, 120]);
    });

    it('settlements issued together, over several accounts and with repeats, each apply exactly once', async () => {
      const accounts = await Promise.all([account(r, { usd: 1_000n }), account(r, { usd: 2_000n })]);
      const w = [rpm(10), tpm(10_000, 500)];
      const holds = await Promise.all(
        accounts.flatMap(({ accountId, keyId }) =>
          [0, 1, 2].map(async () =>
            held(await r.reserve(ask(accountId, keyId, { windows: w, money: money({ amount: 100n }) }))),
          ),
        ),
      );
      const finals = holds.map((o, i) => ({
        reservation: o.reservation,
        charge: { usd: BigInt(10 * (i + 1)), diem: 0n },
        actualCosts: { 'm:TPM': 100 },
        now: T0,
      }));
      // One never held here (a restarted Redis) is counted in; repeats in the same batch change nothing.
      const [first, second] = accounts;
      const lost = { ...(holds[0] as ReserveOutcome & { ok: true }).reservation, id: randomUUID() };
      await Promise.all([
        ...finals.map((f) => r.finalize(f)),
        ...finals.map((f) => r.finalize(f)),
        r.finalize({ reservation: lost, charge: { usd: 7n, diem: 0n }, actualCosts: {}, now: T0 }),
      ]);
      expect(await r.peekSpendable(first.accountId, first.keyId, money())).toEqual({
        usd: 1_000n - 60n - 7n,
        diem: 0n,
      });
      expect(await r.peekSpendable(second.accountId, second.keyId, money())).toEqual({ usd: 2_000n - 150n, diem: 0n });
      for (const { accountId } of accounts)
        expect((await r.peekWindows(accountId, w, T0)).map((s) => s.used)).toEqual([3, 300]);
    });

    it('a settlement that finds a mirror missing bumps the generation, so a stale rebuild is refused', async () => {
      const { accountId, keyId } = await account(r);
      const o = held(await r.reserve(ask(accountId, keyId)));
      const nextDay = money({ day: DAY + 1, keyPeriodStart: DAY + 1 });
      const missing = await r.reserve(ask(accountId, keyId, { money: nextDay }));
      expect(missing).toMatchObject({ ok: false, reason: 'missing', mirrors: ['diem', 'key'] });
      const generation = (missing as { generation: number }).generation;
      // A reservation of another day's key period, settled while that day's mirror is absent.
      const gone = { ...o.reservation, id: randomUUID(), day: DAY - 5, keyPeriodStart: DAY - 5 };
      await r.finalize({ reservation: gone, charge: { usd: 1n, diem: 0n }, actualCosts: {}, now: T0 });
      const facts = { usdBalance: 0n, diemSpentOnDay: 0n, keySpent: { usd: 0n, diem: 0n } };
      expect(await r.initMirrors(accountId, keyId, nextDay, generation, facts, T0)).toBe(false);
    });

    it('a claimed reservation finalized by its owner and then by the sweeper is charged once', async () => {
      const { accountId, keyId } = await account(r, { usd: 1_000n });
      const o = held(await r.reserve(ask(accountId, keyId, { deadline: T0 + 1_000, money: money({ amount: 400n }) })));
      const [claimed] = (await r.claimExpired(T0 + 2_000, 1_000, 60_000)).filter((c) => c.accountId === accountId);
      expect(claimed?.id).toBe(o.reservation.id);
      const f = { reservation: o.reservation, charge: { usd: 150n, diem: 0n }, actualCosts: {}, now: T0 + 2_000 };
      await r.finalize(f);
      // The sweeper settles it at what was held, a while later: too late to change anything.
      await r.finalize({
        ...f,
        reservation: claimed as typeof o.reservation,
        charge: { usd: 400n, diem: 0n },
        now: T0 + 5 * 60_000,
      });
      expect(await r.peekSpendable(accountId, keyId, money())).toEqual({ usd: 850n, diem: 0n });
    });

    it('claims expired reservations once, never finalized ones', async () => {
      const { accountId, keyId } = await account(r);
      const late = held(await r.reserve(ask(accountId, keyId, { deadline: T0 + 1_000 })));
      const settled = held(await r.reserve(ask(accountId, keyId, { deadline: T0 + 1_000 })));
      held(await r.reserve(ask(accountId, keyId, { deadline: T0 + 10 * 60_000 })));
      await r.finalize({ reservation: settled.reservation, charge: { usd: 0n, diem: 0n }, actualCosts: {}, now: T0 });
      const claimed = await r.claimExpired(T0 + 2_000, 1_000, 60_000);
      const mine = claimed.filter((c) => c.accountId === accountId);
      expect(mine.map((c) => c.id)).toEqual([late.reservation.id]);
      expect(mine[0]).toMatchObject({ usd: 100n, diem: 0n, meta: '{"m":1}', keyId });
      const again = await r.claimExpired(T0 + 3_000, 1_000, 60_000);
      expect(again.filter((c) => c.accountId === accountId)).toEqual([]);
      // A claim that was never finished is taken over once it lapses.
      const later = await r.claimExpired(T0 + 2_000 + 60_001, 1_000, 60_000);
      expect(later.filter((c) => c.accountId === accountId).map((c) => c.id)).toEqual([late.reservation.id]);
    });

    it('blocks a key after more failures than its budget, once, and refuses it until the block ends', async () => {
      const { accountId, keyId } = await account(r);
      const starts: boolean[] = [];
      for (let i = 0; i < 5; i++) starts.push(await r.recordFailure(accountId, keyId, BUDGET, T0 + i));
      expect(starts).toEqual([false, false, false, true, false]);
      expect(await r.blockedUntil(accountId, keyId, T0 + 10)).toBe(T0 + 3 + 30_000);
      expect(await r.reserve(ask(accountId, keyId, { now: T0 + 10 }))).toEqual({
        ok: false,
        reason: 'blocked',
        until: T0 + 3 + 30_000,
      });
      expect(await r.blockedUntil(randomUUID(), keyId, T0)).toBeNull();
    });

    it('counts failures over a sliding window: a burst across a window boundary blocks, a slow drip never', async () => {
      const burst = await account(r);
      // Aligned fixed windows would split these 2 + 2 across a 30 s boundary and never block.
      const edge = Math.ceil(T0 / 30_000) * 30_000;
      const burstTimes = [edge - 2, edge - 1, edge, edge + 1];
      const started: boolean[] = [];
      for (const at of burstTimes) started.push(await r.recordFailure(burst.accountId, burst.keyId, BUDGET, at));
      expect(started).toEqual([false, false, false, true]);
      expect(await r.blockedUntil(burst.accountId, burst.keyId, edge + 2)).toBe(edge + 1 + 30_000);

      const drip = await account(r);
      // Four failures, but never four within one 30 s: the oldest of any four is always 30 s old or more.
      for (const at of [0, 10_000, 20_000, 30_000, 40_000, 50_000])
        expect(await r.recordFailure(drip.accountId, drip.keyId, BUDGET, T0 + at)).toBe(false);
      expect(await r.blockedUntil(drip.accountId, drip.keyId, T0 + 50_001)).toBeNull();
    });

    it('applies an operator credit to an existing USD mirror only', async () => {
      const { accountId, keyId } = await account(r, { usd: 10n });
      await r.adjustUsd(accountId, 5n);
      await r.adjustUsd(randomUUID(), 5n);
      expect(await r.peekSpendable(accountId, keyId, money())).toEqual({ usd: 15n, diem: 0n });
    });
  });
}
