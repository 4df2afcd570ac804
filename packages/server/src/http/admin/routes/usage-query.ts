import { z } from 'zod';
import { dayOf, parseExpiry } from '../../../domain/time.js';
import type { AnalyticsPeriod } from '../../../domain/usage/analytics.js';
import { DEFAULT_PAGE_SIZE } from '../../../domain/usage/history.js';

/** Query shapes of the usage routes. Strict, as bodies are: a misspelt filter must not pass silently. */

export const USAGE_CURRENCIES = ['USD', 'DIEM', 'BUNDLED_CREDITS'] as const;
export const MAX_LOOKBACK_DAYS = 90;
/** A date range may cover a year (a leap one included); `byDate` lists each of its days. */
export const MAX_RANGE_DAYS = 366;

const INSTANT = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/;

/**
 * ISO 8601 UTC with `Z`, up to 9 fraction digits, rounded up to the millisecond: entries are stamped
 * in whole milliseconds, so "at or after 0.0005 s" and "before 0.0005 s" mean "from 0.001 s" and "before 0.001 s".
 */
const instant = z
  .string()
  .max(40)
  .transform((text, ctx) => {
    const m = INSTANT.exec(text);
    const whole = m ? parseExpiry(`${m[1]}Z`) : undefined;
    if (!m || typeof whole !== 'number') {
      ctx.addIssue({ code: 'custom', message: 'Invalid timestamp: use ISO 8601 UTC, e.g. 2026-06-01T00:00:00Z' });
      return z.NEVER;
    }
    const fraction = (m[2] ?? '').padEnd(9, '0');
    return whole + Number(fraction.slice(0, 3)) + (/[1-9]/.test(fraction.slice(3)) ? 1 : 0);
  });

const HISTORY_FILTERS = ['currency', 'startTimestamp', 'endTimestamp', 'pageSize'] as const;

export const historyQuery = z
  .strictObject({
    currency: z.enum(USAGE_CURRENCIES).optional(),
    startTimestamp: instant.optional(),
    endTimestamp: instant.optional(),
    pageSize: z
      .string()
      .regex(/^\d{1,4}$/, 'Expected a whole number from 10 to 1000')
      .transform(Number)
      .pipe(z.number().int().min(10).max(1000))
      .optional(),
    cursor: z
      .string()
      .max(512)
      .regex(/^[A-Za-z0-9_-]+$/, 'Invalid cursor: restart the walk from the first page')
      .optional(),
  })
  .superRefine((q, ctx) => {
    if (q.cursor !== undefined) {
      for (const name of HISTORY_FILTERS) {
        if (q[name] !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [name],
            message: 'Not allowed with cursor: a cursor carries the filters of its walk',
          });
        }
      }
    }
    if (q.startTimestamp !== undefined && q.endTimestamp !== undefined && q.endTimestamp <= q.startTimestamp) {
      ctx.addIssue({ code: 'custom', path: ['endTimestamp'], message: 'Must be later than startTimestamp' });
    }
  })
  .transform((q) => ({
    cursor: q.cursor,
    filters: {
      currency: q.currency,
      startAt: q.startTimestamp,
      endAt: q.endTimestamp,
      pageSize: q.pageSize ?? DEFAULT_PAGE_SIZE,
    },
  }));

const dateDay = z.string().transform((text, ctx) => {
  const at = /^\d{4}-\d{2}-\d{2}$/.test(text) ? parseExpiry(text) : undefined;
  if (typeof at !== 'number') {
    ctx.addIssue({ code: 'custom', message: 'Invalid date: use YYYY-MM-DD' });
    return z.NEVER;
  }
  return dayOf(at);
});

export const analyticsQuery = z
  .strictObject({
    lookback: z
      .string()
      .regex(/^[1-9]\d{0,2}d$/, `Expected 1d to ${MAX_LOOKBACK_DAYS}d`)
      .transform((s) => Number(s.slice(0, -1)))
      .pipe(z.number().max(MAX_LOOKBACK_DAYS, `Expected 1d to ${MAX_LOOKBACK_DAYS}d`))
      .optional(),
    startDate: dateDay.optional(),
    endDate: dateDay.optional(),
  })
  .superRefine((q, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if ((q.startDate === undefined) !== (q.endDate === undefined)) {
      issue(q.startDate === undefined ? 'startDate' : 'endDate', 'startDate and endDate go together');
    }
    if (q.lookback !== undefined && (q.startDate !== undefined || q.endDate !== undefined)) {
      issue('lookback', 'Give a lookback or startDate and endDate, not both');
    }
    if (q.startDate !== undefined && q.endDate !== undefined) {
      if (q.endDate < q.startDate) issue('endDate', 'Must not be before startDate');
      else if (q.endDate - q.startDate + 1 > MAX_RANGE_DAYS) issue('endDate', `At most ${MAX_RANGE_DAYS} days`);
    }
  })
  .transform(
    (q): AnalyticsPeriod =>
      q.startDate !== undefined && q.endDate !== undefined
        ? { startDay: q.startDate, endDay: q.endDate }
        : { lookbackDays: q.lookback ?? 7 },
  );
