import type { RateLimit, RateLimitLogEntry } from '@venice-keys/sdk';
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { localTime } from '../output/dates.js';
import { amount } from '../output/money.js';
import type { Column } from '../output/table.js';
import { type Action, examples } from './action.js';

interface LimitRow {
  model: string;
  limit: RateLimit;
}

const count = (n: number | undefined) => (n === undefined ? '-' : n.toLocaleString('en-US'));

const LIMIT_COLUMNS: Column<LimitRow>[] = [
  { header: 'MODEL', value: (r) => r.model, minWidth: 12 },
  { header: 'LIMIT', value: (r) => r.limit.type },
  { header: 'AMOUNT', value: (r) => count(r.limit.amount), align: 'right' },
  { header: 'USED', value: (r) => count(r.limit.used), align: 'right', dropOrder: 2 },
  { header: 'REMAINING', value: (r) => count(r.limit.remaining), align: 'right' },
  { header: 'RESETS', value: (r) => localTime(r.limit.resetsAt), dropOrder: 1 },
];

async function limits(ctx: Context, o: { model?: string }): Promise<void> {
  const data = await ctx.client().apiKeys.getRateLimits();
  if (ctx.out.json) return ctx.out.data(data);
  ctx.out.fields([
    ['Access', data.accessPermitted ? 'permitted' : 'not permitted (nothing spendable)'],
    ['Tier', data.apiTier.id],
    ['Spendable', `${amount(data.balances.USD)} USD, ${amount(data.balances.DIEM)} DIEM`],
    ['Key expires', localTime(data.keyExpiration, 'never')],
    ['Next epoch', localTime(data.nextEpochBegins)],
  ]);
  ctx.out.line();
  const rows = data.rateLimits
    .filter((m) => o.model === undefined || m.apiModelId === o.model)
    .flatMap((m) => m.rateLimits.map((limit) => ({ model: m.apiModelId ?? '-', limit })));
  ctx.out.table(LIMIT_COLUMNS, rows, o.model ? `No limits for model ${o.model}.` : 'No rate limits.');
}

const LOG_COLUMNS: Column<RateLimitLogEntry>[] = [
  { header: 'WHEN', value: (e) => localTime(e.timestamp) },
  { header: 'KEY', value: (e) => e.apiKeyId },
  { header: 'MODEL', value: (e) => e.modelId, minWidth: 12 },
  { header: 'LIMIT', value: (e) => e.rateLimitType },
  { header: 'TIER', value: (e) => e.rateLimitTier, dropOrder: 1 },
];

async function log(ctx: Context): Promise<void> {
  const body = await ctx.client().apiKeys.getRateLimitLogs();
  if (ctx.out.json) return ctx.out.data(body);
  ctx.out.table(LOG_COLUMNS, body.data, 'No rate-limit breaches.');
}

async function balance(ctx: Context): Promise<void> {
  const b = await ctx.client().billing.getBalance();
  if (ctx.out.json) return ctx.out.data(b);
  ctx.out.fields([
    ['USD', amount(b.balances.usd)],
    ['DIEM', amount(b.balances.diem)],
    ['DIEM per epoch', amount(b.diemEpochAllocation)],
    ['Spends first', b.consumptionCurrency ?? 'nothing left'],
    ['Can consume', b.canConsume ? 'yes' : 'no (less than 0.10 spendable)'],
  ]);
}

export function registerLimits(program: Command, action: Action): void {
  const limitsCommand = examples(
    program
      .command('limits')
      .description("the current key's rate limits with live headroom and reset times, balances, access")
      .option('--model <id>', 'only this model')
      .action(action(limits)),
    ['venice-keys limits', 'venice-keys limits --model llama-3.3-70b', 'venice-keys limits --json'],
  );
  examples(limitsCommand.command('log').description("the account's last 50 rate-limit breaches").action(action(log)), [
    'venice-keys limits log',
    'venice-keys limits log --json | jq ".data[0]"',
  ]);
  examples(program.command('balance').description("the account's balances").action(action(balance)), [
    'venice-keys balance',
    'venice-keys balance --json',
  ]);
}
