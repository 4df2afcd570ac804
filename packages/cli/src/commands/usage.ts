import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import {
  type BillingUsageAnalytics,
  type BillingUsageByKey,
  type BillingUsageByModel,
  type BillingUsageHistoryParams,
  USAGE_CURRENCIES,
  type UsageCurrency,
} from '@venice-keys/sdk';
import { type Command, InvalidArgumentError } from 'commander';
import type { Context } from '../context.js';
import { usageError } from '../errors.js';
import { amount } from '../output/money.js';
import type { Column } from '../output/table.js';
import { type Action, examples } from './action.js';
import { sinceOption } from './key-options.js';

type Day = BillingUsageAnalytics['byDate'][number];

const DAY_COLUMNS: Column<Day>[] = [
  { header: 'DATE', value: (d) => d.date },
  { header: 'USD', value: (d) => amount(d.USD), align: 'right' },
  { header: 'DIEM', value: (d) => amount(d.DIEM), align: 'right' },
];

const units = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 6 });

const MODEL_COLUMNS: Column<BillingUsageByModel>[] = [
  { header: 'MODEL', value: (m) => m.modelName, minWidth: 12 },
  { header: 'TYPE', value: (m) => m.modelType ?? '-', dropOrder: 2 },
  { header: 'USD', value: (m) => amount(m.totalUsd), align: 'right' },
  { header: 'DIEM', value: (m) => amount(m.totalDiem), align: 'right' },
  { header: 'UNITS', value: (m) => `${units(m.totalUnits)} ${m.unitType}`, align: 'right', dropOrder: 1 },
];

const KEY_COLUMNS: Column<BillingUsageByKey>[] = [
  { header: 'KEY', value: (k) => k.apiKeyId ?? '(web app)' },
  { header: 'DESCRIPTION', value: (k) => k.description, minWidth: 10 },
  { header: 'USD', value: (k) => amount(k.totalUsd), align: 'right' },
  { header: 'DIEM', value: (k) => amount(k.totalDiem), align: 'right' },
];

const VIEWS = ['day', 'model', 'key'] as const;
type View = (typeof VIEWS)[number];

function lookbackOption(text: string): string {
  if (!/^\d+d?$/.test(text.trim())) throw new InvalidArgumentError('expected a number of days like 7d or 30d');
  return text.trim().endsWith('d') ? text.trim() : `${text.trim()}d`;
}

function viewOption(text: string, previous: View[] | undefined): View[] {
  const view = text.trim().toLowerCase() as View;
  if (!VIEWS.includes(view)) throw new InvalidArgumentError(`expected one of ${VIEWS.join(', ')}`);
  return [...(previous ?? []), view];
}

async function usage(ctx: Context, o: { lookback?: string; from?: string; to?: string; by?: View[] }): Promise<void> {
  if ((o.from === undefined) !== (o.to === undefined)) throw usageError('--from and --to go together');
  if (o.lookback !== undefined && o.from !== undefined) throw usageError('give --lookback or --from/--to, not both');
  const params = o.from !== undefined ? { startDate: o.from, endDate: o.to! } : { lookback: o.lookback ?? '7d' };
  const report = await ctx.client().billing.usageAnalytics(params);
  if (ctx.out.json) return ctx.out.data(report);
  const views = o.by ?? [...VIEWS];
  const { c } = ctx.out;
  ctx.out.line(c.bold(`Usage over ${report.lookback}`));
  if (views.includes('day')) {
    ctx.out.line();
    ctx.out.table(DAY_COLUMNS, report.byDate, 'No usage.');
  }
  if (views.includes('model')) {
    ctx.out.line();
    ctx.out.table(MODEL_COLUMNS, report.byModel, 'No usage by model.');
  }
  if (views.includes('key')) {
    ctx.out.line();
    ctx.out.table(KEY_COLUMNS, report.byKey, 'No usage by key.');
  }
}

const dayOnly = (text: string) => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) throw new InvalidArgumentError('expected a date YYYY-MM-DD');
  return text;
};

function currencyOption(text: string): UsageCurrency {
  const value = text.trim().toUpperCase() as UsageCurrency;
  if (!USAGE_CURRENCIES.includes(value))
    throw new InvalidArgumentError(`expected one of ${USAGE_CURRENCIES.join(', ')}`);
  return value;
}

function pageSizeOption(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 10 || n > 1000)
    throw new InvalidArgumentError('expected a whole number from 10 to 1000');
  return n;
}

/** The lines of a CSV page (entries carry no line breaks of their own) and the line ending the server used. */
function linesOf(csv: string): { lines: string[]; eol: string } {
  return { lines: csv.split(/\r?\n/).filter((l) => l !== ''), eol: csv.includes('\r\n') ? '\r\n' : '\n' };
}

interface ExportOptions {
  output: string;
  currency?: UsageCurrency;
  since?: string;
  until?: string;
  pageSize?: number;
  force?: boolean;
}

/**
 * Walks the usage history page by page into one CSV: the header once, then every page's rows, with a
 * progress line per page. The file is created new (unless `--force`) and removed again if the walk
 * fails, so a half export never looks like a whole one.
 */
async function exportHistory(ctx: Context, o: ExportOptions): Promise<void> {
  const venice = ctx.client();
  const toStdout = o.output === '-';
  let fd: number;
  try {
    fd = toStdout ? 1 : openSync(o.output, o.force ? 'w' : 'wx');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw usageError(`${o.output} already exists (--force to overwrite it)`);
    throw usageError(`cannot create ${o.output}: ${(e as Error).message}`);
  }
  const first: BillingUsageHistoryParams = {};
  if (o.currency) first.currency = o.currency;
  if (o.since) first.startTimestamp = o.since;
  if (o.until) first.endTimestamp = o.until;
  if (o.pageSize) first.pageSize = o.pageSize;
  let entries = 0;
  let pages = 0;
  try {
    let page = await venice.billing.usageHistoryCsv(first);
    for (;;) {
      // The file keeps the server's own line endings (RFC 4180 says CRLF), so it reads as one page would.
      const { lines, eol } = linesOf(page.csv);
      const [header, ...rows] = lines;
      if (pages === 0 && header !== undefined) writeSync(fd, `${header}${eol}`);
      if (rows.length > 0) writeSync(fd, `${rows.join(eol)}${eol}`);
      entries += rows.length;
      pages++;
      ctx.out.progress(`Exporting usage: page ${pages}, ${entries.toLocaleString('en-US')} entries`, !page.nextCursor);
      if (!page.nextCursor) break;
      page = await venice.billing.usageHistoryCsv({ cursor: page.nextCursor });
    }
  } catch (e) {
    if (!toStdout) {
      closeSync(fd);
      unlinkSync(o.output);
    }
    throw e;
  }
  if (!toStdout) closeSync(fd);
  const file = toStdout ? null : o.output;
  if (ctx.out.json && !toStdout) return ctx.out.data({ file, entries, pages });
  if (!toStdout) ctx.out.line(`Wrote ${entries.toLocaleString('en-US')} entries (${pages} pages) to ${o.output}.`);
}

export function registerUsage(program: Command, action: Action): void {
  const usageCommand = examples(
    program
      .command('usage')
      .description('spend per day, per model and per key (an INFERENCE key sees its own usage only)')
      .option('--lookback <days>', 'the last N days, 1d to 90d (default 7d)', lookbackOption)
      .option('--from <date>', 'first day, YYYY-MM-DD (with --to)', dayOnly)
      .option('--to <date>', 'last day, YYYY-MM-DD (with --from)', dayOnly)
      .option('--by <view>', `show only: ${VIEWS.join(', ')} (repeatable)`, viewOption)
      .action(action(usage)),
    [
      'venice-keys usage',
      'venice-keys usage --lookback 30d --by model',
      'venice-keys usage --from 2026-11-01 --to 2026-11-30 --json',
    ],
  );
  examples(
    usageCommand
      .command('export')
      .description('walk the whole usage history into a CSV file, page by page')
      .requiredOption('-o, --output <file>', 'the CSV file to create ("-" for stdout)')
      .option('--currency <currency>', `only ${USAGE_CURRENCIES.join(' | ')}`, currencyOption)
      .option('--since <when>', 'from this instant, inclusive (YYYY-MM-DD is 00:00 UTC; 7d = 7 days ago)', sinceOption)
      .option('--until <when>', 'up to this instant, exclusive', sinceOption)
      .option('--page-size <n>', 'entries per request, 10 to 1000 (default: the server’s, 1000)', pageSizeOption)
      .option('--force', 'overwrite the file if it exists')
      .action(action(exportHistory)),
    [
      'venice-keys usage export -o usage.csv',
      'venice-keys usage export -o november.csv --since 2026-11-01 --until 2026-12-01 --currency USD',
      'venice-keys usage export -o - --since 24h | wc -l',
    ],
  );
}
