import type { ApiKey, CreatedApiKey } from '@venice-keys/sdk';
import type { Context } from '../context.js';
import { localTime } from '../output/dates.js';
import { amount } from '../output/money.js';
import type { Column } from '../output/table.js';

/** `4.20 / 50.00 USD (MONTH)`: the period's usage against each limit the key has. */
export function usageAgainstLimit(key: ApiKey): string {
  const limits = key.consumptionLimits ?? {};
  const used = key.currentPeriodUsage;
  const parts: string[] = [];
  if (limits.usd !== null && limits.usd !== undefined)
    parts.push(`${amount(used?.usd ?? '0')} / ${amount(limits.usd)} USD`);
  if (limits.diem !== null && limits.diem !== undefined) {
    parts.push(`${amount(used?.diem ?? '0')} / ${amount(limits.diem)} DIEM`);
  }
  return parts.length === 0 ? 'no limit' : `${parts.join(', ')} (${key.limitPeriod})`;
}

export const KEY_COLUMNS: Column<ApiKey>[] = [
  { header: 'ID', value: (k) => k.id },
  { header: 'DESCRIPTION', value: (k) => k.description, minWidth: 10 },
  { header: 'TYPE', value: (k) => k.apiKeyType },
  { header: 'LAST6', value: (k) => k.last6Chars },
  { header: 'CREATED', value: (k) => localTime(k.createdAt), dropOrder: 3 },
  { header: 'EXPIRES', value: (k) => localTime(k.expiresAt, 'never'), dropOrder: 2 },
  { header: 'LAST USED', value: (k) => localTime(k.lastUsedAt, 'never'), dropOrder: 4 },
  { header: 'USAGE', value: usageAgainstLimit, dropOrder: 1 },
];

const limitText = (v: number | null | undefined) => (v === null || v === undefined ? 'no limit' : amount(v));

export function showKey(ctx: Context, key: ApiKey): void {
  const week = key.usage?.trailingSevenDays;
  ctx.out.fields([
    ['ID', key.id],
    ['Description', key.description],
    ['Type', key.apiKeyType],
    ['Secret ends in', key.last6Chars],
    ['Created', localTime(key.createdAt)],
    ['Expires', localTime(key.expiresAt, 'never')],
    ['Last used', localTime(key.lastUsedAt, 'never')],
    ['USD limit', limitText(key.consumptionLimits?.usd)],
    ['DIEM limit', limitText(key.consumptionLimits?.diem)],
    ['Limit period', key.limitPeriod],
    ['Model privacy', key.modelPrivacy],
    ['Period usage', usageAgainstLimit(key)],
    ['Last 7 days', week ? `${amount(week.usd)} USD, ${amount(week.diem)} DIEM` : '-'],
  ]);
}

/**
 * The one place a secret is ever shown: right after it was created, with the warning that it will
 * not be shown again. `--json` gives the wire's CreatedApiKey, secret included.
 */
export function showCreatedKey(ctx: Context, key: CreatedApiKey, headline: string): void {
  if (ctx.out.json) {
    ctx.out.data(key);
    return;
  }
  const { c } = ctx.out;
  ctx.out.line(`${headline} ${key.apiKeyType} key ${key.id} (${JSON.stringify(key.description)}).`);
  ctx.out.line();
  ctx.out.line(`  ${c.bold(key.apiKey)}`);
  ctx.out.line();
  ctx.out.line(c.yellow('This secret is shown only this once and cannot be retrieved again: store it now.'));
}
