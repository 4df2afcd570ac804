import type { CatalogModel, ModelType } from '../catalog.js';
import type { Clock } from '../clock.js';
import type { LedgerKind } from '../ports/ledger.js';
import { dayOf } from '../time.js';
import { ClosedDaySummaries } from './closed-days.js';
import type { KeyLabel, UsageReader, UsageSummary, UsageSums } from './ports.js';

/** How many models and keys the daily chart series carry (Venice's "top 8"). */
export const TOP_SERIES = 8;

/** The days an analytics call covers, both ends inclusive, and the period they were asked as. */
export interface AnalyticsRange {
  fromDay: number;
  toDay: number;
  period: AnalyticsPeriod;
}

/** `lookbackDays` ending today (UTC, today included), or the days from `startDay` to `endDay`. */
export type AnalyticsPeriod = { lookbackDays: number } | { startDay: number; endDay: number };

export function rangeOf(period: AnalyticsPeriod, now: number): AnalyticsRange {
  if ('lookbackDays' in period) return { fromDay: dayOf(now) - period.lookbackDays + 1, toDay: dayOf(now), period };
  return { fromDay: period.startDay, toDay: period.endDay, period };
}

/** Spend in micro-units per currency and the tokens it bought. */
export type Totals = UsageSums;

export interface ModelUsage extends Totals {
  modelId: string;
  modelType: ModelType | null;
  /** Per kind, in order of spend; present only when the model was used in more than one way. */
  breakdown: ({ kind: LedgerKind } & Totals)[] | undefined;
}

export interface KeyUsage extends Totals {
  apiKeyId: string;
  /** The key's description, with its last characters when another key of the list has the same. */
  label: string;
}

export interface DailySeries {
  day: number;
  /** Spend (USD + DIEM, micro-units) per name of the top models or keys. */
  spend: Map<string, bigint>;
}

export interface UsageAnalytics {
  range: AnalyticsRange;
  /** Every day of the range, newest first. */
  byDate: ({ day: number } & Omit<Totals, 'tokens'>)[];
  byModel: ModelUsage[];
  byModelDaily: DailySeries[];
  byKey: KeyUsage[];
  byKeyDaily: DailySeries[];
}

const zero = (): Totals => ({ usd: 0n, diem: 0n, tokens: 0n });
const spend = (t: Totals) => t.usd + t.diem;

/** Totals of `rows` per key. */
function totalsBy<R extends UsageSums, K>(rows: readonly R[], keyOf: (r: R) => K): Map<K, Totals> {
  const out = new Map<K, Totals>();
  for (const row of rows) {
    const k = keyOf(row);
    const t = out.get(k) ?? zero();
    out.set(k, t);
    t.usd += row.usd;
    t.diem += row.diem;
    t.tokens += row.tokens;
  }
  return out;
}

/** Highest spend first; ties by name, so that the order is the same on every call. */
const bySpend =
  <T extends Totals>(name: (t: T) => string) =>
  (a: T, b: T) => {
    const d = spend(b) - spend(a);
    return d !== 0n ? (d > 0n ? 1 : -1) : name(a).localeCompare(name(b));
  };

/** Every day of the range, ascending, with each of the `top` names (0 where it spent nothing). */
function dailySeries<R extends UsageSums & { day: number }>(
  rows: readonly R[],
  range: AnalyticsRange,
  top: readonly string[],
  nameOf: (r: R) => string | undefined,
): DailySeries[] {
  const series: DailySeries[] = [];
  for (let day = range.fromDay; day <= range.toDay; day++) {
    series.push({ day, spend: new Map(top.map((n) => [n, 0n])) });
  }
  for (const row of rows) {
    const name = nameOf(row);
    const point = series[row.day - range.fromDay];
    if (name === undefined || !point?.spend.has(name)) continue;
    point.spend.set(name, (point.spend.get(name) as bigint) + row.usd + row.diem);
  }
  return series;
}

/** Labels that tell keys apart in charts, where a description is the series name. */
function keyLabels(ids: readonly string[], labels: readonly KeyLabel[]): Map<string, string> {
  const byId = new Map(labels.map((l) => [l.id, l]));
  const count = new Map<string, number>();
  for (const id of ids) {
    const d = byId.get(id)?.description ?? id;
    count.set(d, (count.get(d) ?? 0) + 1);
  }
  return new Map(
    ids.map((id) => {
      const l = byId.get(id);
      if (!l) return [id, id];
      return [id, (count.get(l.description) ?? 0) > 1 ? `${l.description} (${l.last6})` : l.description];
    }),
  );
}

/** The figures of an analytics answer from the summed daily aggregates: no raw ledger entry is read. */
export function summarise(
  summary: UsageSummary,
  labels: readonly KeyLabel[],
  modelTypes: ReadonlyMap<string, ModelType>,
  range: AnalyticsRange,
): UsageAnalytics {
  const days = totalsBy(summary.byDayModel, (r) => r.day);
  const byDate = [];
  for (let day = range.toDay; day >= range.fromDay; day--) {
    const t = days.get(day) ?? zero();
    byDate.push({ day, usd: t.usd, diem: t.diem });
  }

  const kinds = totalsBy(summary.byDayModel, (r) => `${r.modelId}\n${r.kind}`);
  const byModel: ModelUsage[] = [...totalsBy(summary.byDayModel, (r) => r.modelId)].map(([modelId, t]) => {
    const parts = (['input', 'output'] as const)
      .filter((kind) => kinds.has(`${modelId}\n${kind}`))
      .map((kind) => ({ kind, ...(kinds.get(`${modelId}\n${kind}`) as Totals) }))
      .sort(bySpend((p) => p.kind));
    return {
      modelId,
      modelType: modelTypes.get(modelId) ?? null,
      ...t,
      breakdown: parts.length > 1 ? parts : undefined,
    };
  });
  byModel.sort(bySpend((m) => m.modelId));
  const topModels = byModel.slice(0, TOP_SERIES).map((m) => m.modelId);

  const keyTotals = totalsBy(summary.byDayKey, (r) => r.apiKeyId);
  const label = keyLabels([...keyTotals.keys()], labels);
  const byKey: KeyUsage[] = [...keyTotals].map(([apiKeyId, t]) => ({
    apiKeyId,
    label: label.get(apiKeyId) as string,
    ...t,
  }));
  byKey.sort(bySpend((k) => k.label));
  const topKeys = byKey.slice(0, TOP_SERIES).map((k) => k.label);

  return {
    range,
    byDate,
    byModel,
    byModelDaily: dailySeries(summary.byDayModel, range, topModels, (r) => r.modelId),
    byKey,
    byKeyDaily: dailySeries(summary.byDayKey, range, topKeys, (r) => label.get(r.apiKeyId)),
  };
}

/** Usage analytics over an account, or over one key of it (what an INFERENCE key may see). */
export class UsageAnalyticsService {
  readonly #modelTypes: ReadonlyMap<string, ModelType>;
  readonly #days: ClosedDaySummaries;

  constructor(
    private readonly reader: UsageReader,
    private readonly clock: Clock,
    catalog: readonly CatalogModel[],
    settlesWithinMs: number,
  ) {
    this.#modelTypes = new Map(catalog.map((m) => [m.id, m.type]));
    this.#days = new ClosedDaySummaries(reader, settlesWithinMs);
  }

  async analyse(accountId: string, period: AnalyticsPeriod, onlyKeyId?: string): Promise<UsageAnalytics> {
    const now = this.clock.now();
    const range = rangeOf(period, now);
    const summary = await this.#days.summary(accountId, range.fromDay, range.toDay, onlyKeyId, now);
    const labels = await this.reader.keyLabels(accountId, [...new Set(summary.byDayKey.map((r) => r.apiKeyId))]);
    return summarise(summary, labels, this.#modelTypes, range);
  }
}
