import type { LimitPeriod } from './model.js';

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

/** Days since the Unix epoch, UTC: the unit of usage buckets. */
export const dayOf = (ms: number): number => Math.floor(ms / DAY_MS);

/** The next 00:00:00.000Z after `now`: when an EPOCH period (and DIEM) resets. */
export const nextEpochBegins = (now: number): number => (dayOf(now) + 1) * DAY_MS;

/** First day of the limit period that contains `now`. */
export function periodStartDay(period: LimitPeriod, now: number): number {
  switch (period) {
    case 'EPOCH':
      return dayOf(now);
    case 'MONTH': {
      const d = new Date(now);
      return dayOf(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
    }
    case 'LIFETIME':
      return 0;
  }
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{3}))?Z$/;

/**
 * The `expiresAt` forms of the contract: `""` (never), `YYYY-MM-DD` (00:00:00.000Z of that UTC day)
 * or `YYYY-MM-DDTHH:mm:ss[.sss]Z`. Returns null for never, undefined when the text is not one of
 * them or names no real instant (2026-02-30).
 */
export function parseExpiry(text: string): number | null | undefined {
  if (text === '') return null;
  const m = DATE_ONLY.exec(text) ?? DATE_TIME.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h = '0', mi = '0', s = '0', ms = '0'] = m.slice(1);
  const parts = [y, mo, d, h, mi, s, ms].map(Number) as [number, number, number, number, number, number, number];
  const [year, month, day, hour, minute, second, milli] = parts;
  const t = Date.UTC(year, month - 1, day, hour, minute, second, milli);
  const back = new Date(t);
  // Date.UTC rolls 2026-02-30 over to March: a round trip tells real dates from impossible ones.
  if (
    year < 1970 ||
    back.getUTCFullYear() !== year ||
    back.getUTCMonth() !== month - 1 ||
    back.getUTCDate() !== day ||
    back.getUTCHours() !== hour ||
    back.getUTCMinutes() !== minute ||
    back.getUTCSeconds() !== second
  ) {
    return undefined;
  }
  return t;
}
