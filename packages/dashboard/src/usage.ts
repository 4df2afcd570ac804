import type { BillingUsageAnalytics, BillingUsageByKey } from '@venice-keys/sdk';
import type { DailyRow } from './components/chart.js';
import { lastDays } from './components/chart.js';

const spendOf = (k: { totalUsd: number; totalDiem: number }) => k.totalUsd + k.totalDiem;

/** A key's part of what the whole account spent in the analytics' period (0 when nothing was spent). */
export function shareOfSpend(byKey: BillingUsageByKey[], keyId: string): { key: number; account: number } {
  const account = byKey.reduce((sum, k) => sum + spendOf(k), 0);
  const mine = byKey.find((k) => k.apiKeyId === keyId);
  return { key: mine ? spendOf(mine) : 0, account };
}

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** USD and DIEM per day over the last `days` days, days without usage included as zeros. */
export function dailyTotals(a: BillingUsageAnalytics, days: number, nowMs: number): DailyRow[] {
  const byDay = new Map(a.byDate.map((d) => [d.date, [d.USD, d.DIEM]]));
  return lastDays(days, nowMs).map((day) => ({ day, values: byDay.get(day) ?? [0, 0] }));
}

/** One column per name (model or key description) of a daily series, days without usage as zeros. */
export function dailyByName(
  series: BillingUsageAnalytics['byModelDaily'],
  names: string[],
  days: number,
  nowMs: number,
): DailyRow[] {
  const byDay = new Map(series.map((row) => [dayOf(row.date), row]));
  return lastDays(days, nowMs).map((day) => {
    const row = byDay.get(day);
    return { day, values: names.map((n) => Number(row?.[n] ?? 0)) };
  });
}
