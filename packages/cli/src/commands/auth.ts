import { AuthenticationError, type BillingBalance, DEFAULT_BASE_URL, type VeniceClient } from '@venice-keys/sdk';
import type { Command } from 'commander';
import { DEFAULT_PROFILE, readConfig, writeConfig } from '../config.js';
import type { Context } from '../context.js';
import { CliError, describeError, exitCodeOf, usageError } from '../errors.js';
import { localTime } from '../output/dates.js';
import { amount } from '../output/money.js';
import { type Action, examples } from './action.js';

type KeyType = 'ADMIN' | 'INFERENCE';

/**
 * The key's type from its prefix; a key without one (another server's format) is asked about with the
 * one call only an ADMIN key may make.
 */
async function keyTypeOf(venice: VeniceClient, apiKey: string): Promise<KeyType> {
  if (apiKey.startsWith('VENICE_ADMIN_KEY_')) return 'ADMIN';
  if (apiKey.startsWith('VENICE_INFERENCE_KEY_')) return 'INFERENCE';
  try {
    await venice.billing.getBalance();
    return 'ADMIN';
  } catch (e) {
    if (e instanceof AuthenticationError) return 'INFERENCE';
    throw e;
  }
}

async function login(ctx: Context): Promise<void> {
  const { io, opts } = ctx;
  // Not ctx.target: logging in to another server is exactly when a saved key must not be resolved.
  const name = opts.profile ?? DEFAULT_PROFILE;
  const config = readConfig(ctx.configPath);
  const current = config.profiles[name]?.baseURL;
  let baseURL = opts.baseUrl?.trim() || io.env.VENICE_BASE_URL?.trim();
  if (!baseURL) {
    const fallback = current ?? DEFAULT_BASE_URL;
    baseURL = (await ctx.prompter.ask(`Base URL [${fallback}]: `)) || fallback;
  }
  const apiKey = opts.apiKey?.trim() || io.env.VENICE_API_KEY?.trim() || (await ctx.prompter.askSecret('API key: '));
  if (!apiKey) throw usageError('no API key given');

  const venice = ctx.clientFor(baseURL, apiKey);
  // The one check: any valid key may read its own rate limits. A failure names the server being logged
  // in to, not the one of the current profile.
  const limits = await venice.apiKeys.getRateLimits().catch((e: unknown) => {
    throw new CliError(describeError(e, venice.baseURL), exitCodeOf(e));
  });
  const apiKeyType = await keyTypeOf(venice, apiKey);
  config.profiles[name] = { baseURL: venice.baseURL, apiKey };
  writeConfig(ctx.configPath, config);
  if (ctx.out.json) {
    return ctx.out.data({ profile: name, baseURL: venice.baseURL, apiKeyType, configFile: ctx.configPath });
  }
  ctx.out.line(`Logged in to ${venice.baseURL} with an ${apiKeyType} key (…${apiKey.slice(-6)}) as profile "${name}".`);
  if (!limits.accessPermitted)
    ctx.out.warn('this key cannot spend anything right now (no balance left within its limits)');
  ctx.out.line(ctx.out.c.dim(`Saved to ${ctx.configPath} (readable by you only).`));
}

async function logout(ctx: Context, o: { all?: boolean }): Promise<void> {
  const config = readConfig(ctx.configPath);
  const name = ctx.opts.profile ?? DEFAULT_PROFILE;
  const removed = o.all ? Object.keys(config.profiles) : Object.hasOwn(config.profiles, name) ? [name] : [];
  for (const p of removed) delete config.profiles[p];
  if (removed.length > 0) writeConfig(ctx.configPath, config);
  if (ctx.out.json) return ctx.out.data({ removed });
  if (removed.length === 0) ctx.out.line(`Not logged in with profile "${name}": nothing to do.`);
  else ctx.out.line(`Logged out: removed ${removed.map((p) => `"${p}"`).join(', ')} from ${ctx.configPath}.`);
}

function sourceOf(ctx: Context): string {
  const { profile } = ctx.target;
  if (profile) return `profile "${profile}" (${ctx.configPath})`;
  return ctx.opts.apiKey !== undefined ? '--api-key' : 'VENICE_API_KEY';
}

async function whoami(ctx: Context): Promise<void> {
  const venice = ctx.client();
  const apiKey = ctx.target.apiKey!;
  const limits = await venice.apiKeys.getRateLimits();
  const apiKeyType = await keyTypeOf(venice, apiKey);
  const balance: BillingBalance | null = apiKeyType === 'ADMIN' ? await venice.billing.getBalance() : null;
  if (ctx.out.json) {
    return ctx.out.data({
      baseURL: venice.baseURL,
      profile: ctx.target.profile ?? null,
      apiKeyType,
      last6Chars: apiKey.slice(-6),
      keyExpiration: limits.keyExpiration,
      apiTier: limits.apiTier,
      accessPermitted: limits.accessPermitted,
      balance,
      spendable: limits.balances,
    });
  }
  const fields: [string, string][] = [
    ['Server', venice.baseURL],
    ['Key', `${apiKeyType} …${apiKey.slice(-6)}, from ${sourceOf(ctx)}`],
    ['Key expires', localTime(limits.keyExpiration, 'never')],
    ['Tier', limits.apiTier.id],
    ['Access', limits.accessPermitted ? 'permitted' : 'not permitted (nothing spendable)'],
  ];
  if (balance) {
    fields.push(['Account balance', `${amount(balance.balances.usd)} USD, ${amount(balance.balances.diem)} DIEM`]);
  }
  fields.push(['Spendable by key', `${amount(limits.balances.USD)} USD, ${amount(limits.balances.DIEM)} DIEM`]);
  ctx.out.fields(fields);
}

export function registerAuth(program: Command, action: Action): void {
  examples(
    program
      .command('login')
      .description('check a base URL and key with one call and save them (mode 0600) as a profile')
      .action(action(login)),
    [
      'venice-keys login                                  # asks for both',
      'venice-keys login --base-url http://127.0.0.1:8787 --profile local',
      'printf "%s\\n%s\\n" "$URL" "$KEY" | venice-keys login',
    ],
  );
  examples(
    program
      .command('logout')
      .description('forget the saved key of a profile')
      .option('--all', 'forget every profile')
      .action(action(logout)),
    ['venice-keys logout', 'venice-keys logout --profile local', 'venice-keys logout --all'],
  );
  examples(
    program.command('whoami').description('which server, which key type, the account balance').action(action(whoami)),
    ['venice-keys whoami', 'venice-keys whoami --profile local --json'],
  );
}
