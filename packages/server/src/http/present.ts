import type { Balances, ConsumptionCurrency } from '../domain/accounts.js';
import type { KeyUsage } from '../domain/keys.js';
import type { Account, ApiKeyRecord, Breach } from '../domain/model.js';
import type { RateLimitsView } from '../domain/rate-limits.js';
import { iso, isoOrNull, numberFromMicros, usageText } from './format.js';

/** Domain records to wire shapes: the only place that knows field names, number formats and dates. */

const limitOut = (v: bigint | null): number | null => (v === null ? null : numberFromMicros(v));

export function consumptionLimits(k: ApiKeyRecord) {
  return { usd: limitOut(k.limitUsd), diem: limitOut(k.limitDiem), vcu: null };
}

/** ApiKey without usage: the PATCH answer. */
export function apiKeyCore(k: ApiKeyRecord) {
  return {
    id: k.id,
    apiKeyType: k.type,
    description: k.description,
    createdAt: isoOrNull(k.createdAt),
    expiresAt: isoOrNull(k.expiresAt),
    lastUsedAt: isoOrNull(k.lastUsedAt),
    last6Chars: k.last6,
    consumptionLimits: consumptionLimits(k),
    limitPeriod: k.limitPeriod,
    modelPrivacy: k.modelPrivacy,
  };
}

export function apiKey(k: ApiKeyRecord, usage: KeyUsage | undefined) {
  const trailing = usage?.trailingSevenDays ?? { usd: 0n, diem: 0n };
  return {
    ...apiKeyCore(k),
    usage: { trailingSevenDays: { usd: usageText(trailing.usd), diem: usageText(trailing.diem), vcu: '0.0000' } },
    ...(usage?.currentPeriod
      ? { currentPeriodUsage: { usd: usageText(usage.currentPeriod.usd), diem: usageText(usage.currentPeriod.diem) } }
      : {}),
  };
}

export function createdKey(k: ApiKeyRecord, secret: string) {
  return {
    id: k.id,
    apiKey: secret,
    apiKeyType: k.type,
    description: k.description,
    expiresAt: isoOrNull(k.expiresAt),
    consumptionLimit: consumptionLimits(k),
    limitPeriod: k.limitPeriod,
    modelPrivacy: k.modelPrivacy,
  };
}

export function rateLimits(v: RateLimitsView) {
  return {
    accessPermitted: v.accessPermitted,
    apiTier: { id: v.tier, isCharged: true },
    balances: { USD: numberFromMicros(v.balances.usd), DIEM: numberFromMicros(v.balances.diem) },
    keyExpiration: isoOrNull(v.keyExpiresAt),
    nextEpochBegins: iso(v.nextEpochBegins),
    rateLimits: v.models.map((m) => ({
      apiModelId: m.modelId,
      rateLimits: m.limits.map((l) => ({ ...l, resetsAt: iso(l.resetsAt) })),
    })),
  };
}

export function breach(b: Breach) {
  return {
    apiKeyId: b.apiKeyId,
    modelId: b.modelId,
    rateLimitTier: b.tier,
    rateLimitType: b.type,
    timestamp: iso(b.at),
  };
}

export function balance(
  account: Account,
  b: { balances: Balances; canConsume: boolean; currency: ConsumptionCurrency },
) {
  return {
    canConsume: b.canConsume,
    consumptionCurrency: b.currency,
    balances: { diem: numberFromMicros(b.balances.diem), usd: numberFromMicros(b.balances.usd) },
    diemEpochAllocation: numberFromMicros(account.diemEpochAllocation),
  };
}
