import type { ApiKey, ApiKeyCreateParams } from '@venice-keys/sdk';

/** The caps of a key with what its current period has used, one entry per capped currency. */
export function periodUsage(key: ApiKey): { currency: 'USD' | 'DIEM'; used: number; limit: number }[] {
  const out: { currency: 'USD' | 'DIEM'; used: number; limit: number }[] = [];
  const { usd, diem } = key.consumptionLimits;
  if (usd !== null && usd !== undefined)
    out.push({ currency: 'USD', used: Number(key.currentPeriodUsage?.usd ?? 0), limit: usd });
  if (diem !== null && diem !== undefined) {
    out.push({ currency: 'DIEM', used: Number(key.currentPeriodUsage?.diem ?? 0), limit: diem });
  }
  return out;
}

/** The most used share of any cap, for sorting; -1 for a key without caps. */
export function usageFraction(key: ApiKey): number {
  const shares = periodUsage(key).map((u) => (u.limit > 0 ? u.used / u.limit : 1));
  return shares.length ? Math.max(...shares) : -1;
}

export const keyName = (key: Pick<ApiKey, 'description' | 'last6Chars'>): string =>
  `“${key.description}” (…${key.last6Chars})`;

/** A rotation creates the same key anew (the server has no rotate call) and then revokes the old one. */
export function sameSettings(key: ApiKey): ApiKeyCreateParams {
  return {
    apiKeyType: key.apiKeyType,
    description: key.description,
    expiresAt: key.expiresAt ?? '',
    consumptionLimit: { usd: key.consumptionLimits.usd ?? null, diem: key.consumptionLimits.diem ?? null },
    limitPeriod: key.limitPeriod,
    modelPrivacy: key.modelPrivacy,
  };
}

export type SortColumn =
  | 'description'
  | 'apiKeyType'
  | 'last6Chars'
  | 'createdAt'
  | 'expiresAt'
  | 'lastUsedAt'
  | 'usage';

const sortValue = (key: ApiKey, column: SortColumn): string | number => {
  if (column === 'usage') return usageFraction(key);
  if (column === 'description') return key.description.toLowerCase();
  return key[column] ?? '';
};

export function sortKeys(keys: ApiKey[], column: SortColumn, descending: boolean): ApiKey[] {
  const sign = descending ? -1 : 1;
  return [...keys].sort((a, b) => {
    const x = sortValue(a, column);
    const y = sortValue(b, column);
    return x < y ? -sign : x > y ? sign : 0;
  });
}

export function searchKeys(keys: ApiKey[], query: string): ApiKey[] {
  const q = query.trim().toLowerCase();
  if (!q) return keys;
  return keys.filter((k) =>
    [k.description, k.last6Chars, k.apiKeyType, k.id, k.limitPeriod, k.modelPrivacy].some((f) =>
      f.toLowerCase().includes(q),
    ),
  );
}
