import type { CatalogModel } from '../catalog.js';
import type { Account, ApiKeyRecord } from '../model.js';
import type { MoneyAsk, WindowAsk } from '../ports/reservations.js';
import { DAY_MS, dayOf, MINUTE_MS, periodStartDay } from '../time.js';

export const MODEL_LIMIT_TYPES = ['RPM', 'RPD', 'TPM'] as const;
export type ModelLimitType = (typeof MODEL_LIMIT_TYPES)[number];

const WINDOW_MS: Record<ModelLimitType, number> = { RPM: MINUTE_MS, RPD: DAY_MS, TPM: MINUTE_MS };

const NAMES = new WeakMap<CatalogModel, readonly string[]>();

/**
 * `<model>:<type>` in MODEL_LIMIT_TYPES order, made once per model: the counters look windows up by
 * name on every request, and the same string each time has its hash already.
 */
function windowNames(model: CatalogModel): readonly string[] {
  let names = NAMES.get(model);
  if (!names) {
    names = MODEL_LIMIT_TYPES.map((type) => `${model.id}:${type}`);
    NAMES.set(model, names);
  }
  return names;
}

/**
 * The account's windows of one model for its tier, in MODEL_LIMIT_TYPES order, with the cost of one
 * request: the one naming shared by admission (which counts) and `/api_keys/rate_limits` (which reads).
 * None when the tier has no limits for the model.
 */
export function modelWindows(model: CatalogModel, tier: string, tokens: number): WindowAsk[] {
  const limits = model.rateLimits[tier];
  if (!limits) return [];
  const names = windowNames(model);
  return MODEL_LIMIT_TYPES.map((type, i) => ({
    name: names[i] as string,
    windowMs: WINDOW_MS[type],
    limit: limits[type],
    cost: type === 'TPM' ? tokens : 1,
  }));
}

/** The key's money position at an instant: which period and day it draws on, and its limits. */
export function moneyAsk(
  key: Pick<ApiKeyRecord, 'limitPeriod' | 'limitUsd' | 'limitDiem'>,
  account: Pick<Account, 'diemEpochAllocation'>,
  amount: bigint,
  now: number,
): MoneyAsk {
  const start = periodStartDay(key.limitPeriod, now);
  let endsAt: number | null = null;
  if (key.limitPeriod === 'EPOCH') endsAt = (start + 1) * DAY_MS;
  if (key.limitPeriod === 'MONTH') {
    const d = new Date(start * DAY_MS);
    endsAt = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  }
  return {
    amount,
    day: dayOf(now),
    diemAllocation: account.diemEpochAllocation,
    keyPeriodStart: start,
    keyPeriodEndsAt: endsAt,
    keyLimitUsd: key.limitUsd,
    keyLimitDiem: key.limitDiem,
  };
}
