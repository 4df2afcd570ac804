import type { ModelType } from '../../../domain/catalog.js';
import { DAY_MS } from '../../../domain/time.js';
import type { AnalyticsRange, DailySeries, UsageAnalytics } from '../../../domain/usage/analytics.js';
import type { UsageEntry } from '../../../domain/usage/ports.js';
import { formatMicros, iso, numberFromMicros } from '../../format.js';

/** Wire shapes of the usage routes: Venice's names, money as JSON numbers, charges negative. */

export function entryJson(e: UsageEntry) {
  return {
    amount: numberFromMicros(-e.amount),
    currency: e.currency,
    inferenceDetails: {
      requestId: e.requestId,
      promptTokens: e.promptTokens,
      completionTokens: e.completionTokens,
      inferenceExecutionTime: e.executionMs,
    },
    notes: 'API Inference',
    pricePerUnitUsd: numberFromMicros(e.pricePerMTok),
    sku: e.sku,
    timestamp: iso(e.at),
    // Units are millions of tokens: tokens / 1e6, exactly the micro-unit scale.
    units: Number(formatMicros(e.tokens)),
    apiKeyId: e.apiKeyId,
  };
}

const CSV_COLUMNS = [
  'timestamp',
  'sku',
  'currency',
  'amount',
  'units',
  'pricePerUnitUsd',
  'notes',
  'apiKeyId',
  'requestId',
  'promptTokens',
  'completionTokens',
  'inferenceExecutionTime',
] as const;

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
const csvField = (v: string | number) => {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

/** The page as CSV: a header row, then one row per entry, CRLF line ends (RFC 4180). */
export function entriesCsv(entries: readonly UsageEntry[]): string {
  const rows = entries.map((e) => {
    const { inferenceDetails, ...rest } = entryJson(e);
    const flat = { ...rest, ...inferenceDetails };
    return CSV_COLUMNS.map((c) => csvField(flat[c])).join(',');
  });
  return [CSV_COLUMNS.join(','), ...rows].map((line) => `${line}\r\n`).join('');
}

/** `billing-usage-history-20260708T091530123Z.csv`: the export instant, so pages sort in walk order. */
export const csvFilename = (now: number) => `billing-usage-history-${iso(now).replaceAll(/[-:.]/g, '')}.csv`;

const MODEL_TYPE: Record<ModelType, string> = {
  text: 'LLM',
  embedding: 'EMBEDDING',
  image: 'IMAGE',
  audio: 'TTS',
  video: 'VIDEO',
};

const KIND_NAME = { input: 'Input', output: 'Output' } as const;

function seriesJson(series: readonly DailySeries[]) {
  return series.map((s) => ({
    date: s.day * DAY_MS,
    ...Object.fromEntries([...s.spend].map(([name, micros]) => [name, numberFromMicros(micros)])),
  }));
}

const dayText = (day: number): string => iso(day * DAY_MS).slice(0, 10);

/** `7d`, or `2026-06-01:2026-06-30` for a date range. */
const lookbackLabel = ({ period, fromDay, toDay }: AnalyticsRange) =>
  'lookbackDays' in period ? `${period.lookbackDays}d` : `${dayText(fromDay)}:${dayText(toDay)}`;

export function analyticsJson(a: UsageAnalytics) {
  return {
    lookback: lookbackLabel(a.range),
    byDate: a.byDate.map((d) => ({
      date: dayText(d.day),
      USD: numberFromMicros(d.usd),
      DIEM: numberFromMicros(d.diem),
    })),
    byModel: a.byModel.map((m) => ({
      modelName: m.modelId,
      unitType: 'tokens',
      modelType: m.modelType === null ? null : MODEL_TYPE[m.modelType],
      totalUsd: numberFromMicros(m.usd),
      totalDiem: numberFromMicros(m.diem),
      totalUnits: Number(m.tokens),
      ...(m.breakdown
        ? {
            breakdown: m.breakdown.map((b) => ({
              type: KIND_NAME[b.kind],
              usd: numberFromMicros(b.usd),
              diem: numberFromMicros(b.diem),
              units: Number(b.tokens),
            })),
          }
        : {}),
    })),
    byModelDaily: seriesJson(a.byModelDaily),
    topModels: a.byModel.slice(0, a.byModelDaily[0]?.spend.size ?? 0).map((m) => m.modelId),
    byKey: a.byKey.map((k) => ({
      apiKeyId: k.apiKeyId,
      description: k.label,
      totalUsd: numberFromMicros(k.usd),
      totalDiem: numberFromMicros(k.diem),
      totalUnits: Number(k.tokens),
    })),
    byKeyDaily: seriesJson(a.byKeyDaily),
    topKeyNames: a.byKey.slice(0, a.byKeyDaily[0]?.spend.size ?? 0).map((k) => k.label),
  };
}
