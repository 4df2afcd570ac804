import type { KeyUsage } from '../domain/keys.js';
import type { ApiKeyRecord } from '../domain/model.js';
import { numberFromMicros, usageText } from '../domain/money.js';
import { isoOrNull } from '../domain/time.js';

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
