import { minBig } from '../money.js';
import type { Charge, MoneyAsk, Spendable } from '../ports/reservations.js';

/**
 * How a worst-case amount is held against an account and one of its keys: DIEM of the day first
 * (within the key's DIEM limit), the rest in USD (within the key's USD limit). The Redis adapter's Lua
 * applies the same rule; this is its reference, used by the memory adapter and the contract tests.
 */
export interface MirrorState {
  /** USD balance minus outstanding USD holds. */
  usdAvailable: bigint;
  /** DIEM settled and held on the day. */
  diemUsedOnDay: bigint;
  /** The key's settled and held spend in its period. */
  keyUsed: { usd: bigint; diem: bigint };
}

export type HoldRefusal = 'key_usd' | 'key_diem' | 'balance';

const room = (limit: bigint | null, used: bigint): bigint | null =>
  limit === null ? null : limit > used ? limit - used : 0n;
const min = (a: bigint, b: bigint | null): bigint => (b !== null && b < a ? b : a);
const pos = (v: bigint): bigint => (v > 0n ? v : 0n);

export function spendableOf(money: MoneyAsk, s: MirrorState): Spendable {
  return {
    usd: min(pos(s.usdAvailable), room(money.keyLimitUsd, s.keyUsed.usd)),
    diem: min(pos(money.diemAllocation - s.diemUsedOnDay), room(money.keyLimitDiem, s.keyUsed.diem)),
  };
}

export function planHold(money: MoneyAsk, s: MirrorState): Charge | HoldRefusal {
  const diemAccount = pos(money.diemAllocation - s.diemUsedOnDay);
  const diemKey = room(money.keyLimitDiem, s.keyUsed.diem);
  const diem = min(min(money.amount, diemAccount), diemKey);
  const usd = money.amount - diem;
  if (usd === 0n) return { usd, diem };
  const usdKey = room(money.keyLimitUsd, s.keyUsed.usd);
  if (usdKey !== null && usd > usdKey) return 'key_usd';
  // The key's DIEM limit, not the account, is what left USD to cover: say so.
  if (usd > pos(s.usdAvailable)) return diemKey !== null && diemKey < diemAccount ? 'key_diem' : 'balance';
  return { usd, diem };
}

/** The part of a held amount a settled cost takes: DIEM first, as it was held. */
export function chargeOf(held: Charge, cost: bigint): Charge {
  const capped = minBig(cost, held.usd + held.diem);
  const diem = minBig(capped, held.diem);
  return { diem, usd: capped - diem };
}
