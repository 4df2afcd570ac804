import { closeSync, fchmodSync, openSync, unlinkSync, writeSync } from 'node:fs';
import type { ApiKey, ApiKeyCreateParams, CreatedApiKey } from '@venice-keys/sdk';
import { type Command, InvalidArgumentError } from 'commander';
import { readConfig, writeConfig } from '../config.js';
import type { Context } from '../context.js';
import { CliError, EXIT, exitCodeOf, usageError } from '../errors.js';
import { localTime } from '../output/dates.js';
import { type Action, examples } from './action.js';
import { durationOption, newKeySettings, type SettingsOptions, settingsFrom, settingsOptions } from './key-options.js';
import { KEY_COLUMNS, showCreatedKey, showKey } from './key-views.js';

function positiveInt(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number, 1 or more');
  return n;
}

async function list(ctx: Context, o: { all?: boolean; page: number; limit: number }): Promise<void> {
  const venice = ctx.client();
  let keys: ApiKey[];
  if (o.all) {
    keys = [];
    for await (const key of venice.apiKeys.iterAll({ pageSize: o.limit })) keys.push(key);
  } else {
    keys = await venice.apiKeys.list({ page: o.page, limit: o.limit });
  }
  if (ctx.out.json) return ctx.out.data(keys);
  ctx.out.table(KEY_COLUMNS, keys, o.page > 1 ? 'No keys on this page.' : 'No active keys.');
  if (!o.all && keys.length === o.limit) {
    ctx.out.note(ctx.out.c.dim(`Page ${o.page} is full: --page ${o.page + 1} for more, or --all for every key.`));
  }
}

/**
 * Reserves the secret file before the key exists: created exclusively with mode 0600, so an existing
 * file is never overwritten and a key is never created whose secret has nowhere to go.
 */
function reserveSecretFile(path: string): number {
  try {
    const fd = openSync(path, 'wx', 0o600);
    fchmodSync(fd, 0o600);
    return fd;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw usageError(`${path} already exists; not overwriting it`);
    throw usageError(`cannot create ${path}: ${(e as Error).message}`);
  }
}

async function create(ctx: Context, o: SettingsOptions & { secretFile?: string }): Promise<void> {
  if (o.description === undefined) throw usageError('--description is required');
  const params: ApiKeyCreateParams = {
    apiKeyType: o.type ?? 'INFERENCE',
    description: o.description,
    ...newKeySettings(o),
  };
  const venice = ctx.client();
  const fd = o.secretFile === undefined ? undefined : reserveSecretFile(o.secretFile);
  let created: CreatedApiKey;
  try {
    created = await venice.apiKeys.create(params);
    if (fd !== undefined) writeSync(fd, `${created.apiKey}\n`);
  } catch (e) {
    if (fd !== undefined) {
      closeSync(fd);
      unlinkSync(o.secretFile!);
    }
    throw e;
  }
  if (fd === undefined) return showCreatedKey(ctx, created, 'Created');
  closeSync(fd);
  const { apiKey: _secret, ...withoutSecret } = created;
  if (ctx.out.json) return ctx.out.data({ ...withoutSecret, secretFile: o.secretFile });
  ctx.out.line(`Created ${created.apiKeyType} key ${created.id} (${JSON.stringify(created.description)}).`);
  ctx.out.line(`Its secret is in ${o.secretFile} (mode 0600); it cannot be retrieved again.`);
}

async function show(ctx: Context, id: string): Promise<void> {
  const key = await ctx.client().apiKeys.retrieve(id);
  if (ctx.out.json) return ctx.out.data(key);
  showKey(ctx, key);
}

async function update(ctx: Context, id: string, o: SettingsOptions): Promise<void> {
  const changes = settingsFrom(o);
  if (Object.keys(changes).length === 0) throw usageError('nothing to update: give at least one option (see --help)');
  const key = await ctx.client().apiKeys.update({ id, ...changes });
  if (ctx.out.json) return ctx.out.data(key);
  ctx.out.line(`Updated key ${key.id}.`);
  showKey(ctx, key);
}

const label = (k: ApiKey) => `${k.id} (${JSON.stringify(k.description)}, ${k.apiKeyType}, …${k.last6Chars})`;

/** Asks unless `--yes`; declining is no usage error, yet nothing was done: exit 1. */
async function confirmed(ctx: Context, yes: boolean | undefined, question: string): Promise<boolean> {
  if (yes) return true;
  if (await ctx.prompter.confirm(question)) return true;
  ctx.out.note('Aborted: nothing changed.');
  return false;
}

async function revoke(ctx: Context, ids: string[], o: { yes?: boolean }): Promise<unknown> {
  const venice = ctx.client();
  const unique = [...new Set(ids)];
  // Every id is looked up first: a typo stops the whole command before anything is revoked.
  const keys = await Promise.all(unique.map((id) => venice.apiKeys.retrieve(id)));
  ctx.out.note(
    `About to revoke ${keys.length === 1 ? 'this key' : `these ${keys.length} keys`}, at once and for good:`,
  );
  for (const k of keys) ctx.out.note(`  ${label(k)}`);
  if (!(await confirmed(ctx, o.yes, 'Revoke?'))) return EXIT.failure;
  const results: { id: string; success: boolean; error?: string }[] = [];
  let failure: unknown;
  for (const k of keys) {
    try {
      await venice.apiKeys.delete(k.id);
      results.push({ id: k.id, success: true });
      if (!ctx.out.json) ctx.out.line(`Revoked ${label(k)}.`);
    } catch (e) {
      failure ??= e;
      results.push({ id: k.id, success: false, error: (e as Error).message });
      if (!ctx.out.json) ctx.out.error(`could not revoke ${k.id}: ${(e as Error).message}`);
    }
  }
  if (ctx.out.json) ctx.out.data(results);
  if (failure !== undefined)
    throw new CliError(
      `${results.filter((r) => !r.success).length} of ${keys.length} not revoked`,
      exitCodeOf(failure),
    );
  return undefined;
}

/** The settings of a key as a create takes them, so that its successor is the same key with a new secret. */
function sameSettings(key: ApiKey): ApiKeyCreateParams {
  const params: ApiKeyCreateParams = {
    apiKeyType: key.apiKeyType,
    description: key.description,
    consumptionLimit: { usd: key.consumptionLimits.usd ?? null, diem: key.consumptionLimits.diem ?? null },
    limitPeriod: key.limitPeriod,
    modelPrivacy: key.modelPrivacy,
  };
  if (key.expiresAt) params.expiresAt = key.expiresAt;
  return params;
}

/**
 * When the key being rotated is the one this profile logs in with, the profile takes the new secret:
 * otherwise the next command would fail with a revoked key.
 */
function followInProfile(ctx: Context, old: ApiKey, created: CreatedApiKey): void {
  const { profile } = ctx.target;
  if (!profile) return;
  const config = readConfig(ctx.configPath);
  const saved = config.profiles[profile];
  if (!saved?.apiKey.endsWith(old.last6Chars) || !saved.apiKey.includes(`_${old.apiKeyType}_`)) return;
  config.profiles[profile] = { ...saved, apiKey: created.apiKey };
  writeConfig(ctx.configPath, config);
  ctx.out.note(`Profile "${profile}" now uses the new key.`);
}

async function rotate(ctx: Context, id: string, o: { grace?: number; yes?: boolean }): Promise<unknown> {
  const venice = ctx.client();
  const old = await venice.apiKeys.retrieve(id);
  const until = o.grace === undefined ? undefined : new Date(Date.now() + o.grace).toISOString();
  const fate = until ? `expire at ${localTime(until)}` : 'be revoked at once';
  ctx.out.note(`About to create a successor of ${label(old)}; the old key will then ${fate}.`);
  if (!(await confirmed(ctx, o.yes, 'Rotate?'))) return EXIT.failure;
  const created = await venice.apiKeys.create(sameSettings(old));
  // The old key stays usable for the grace period through its expiry (an earlier expiry is kept).
  let expiresAt: string | null = null;
  if (until) {
    expiresAt = old.expiresAt && old.expiresAt < until ? old.expiresAt : until;
    await venice.apiKeys.update({ id: old.id, expiresAt });
  } else {
    await venice.apiKeys.delete(old.id);
  }
  followInProfile(ctx, old, created);
  if (ctx.out.json) return ctx.out.data({ created, previous: { id: old.id, revoked: !until, expiresAt } });
  showCreatedKey(ctx, created, 'Rotated: created');
  ctx.out.line(
    until ? `The old key ${old.id} expires at ${localTime(expiresAt)}.` : `The old key ${old.id} is revoked.`,
  );
  return undefined;
}

export function registerKeys(program: Command, action: Action): void {
  const keys = program.command('keys').description('list, create, show, update, revoke and rotate API keys');
  examples(keys, [
    'venice-keys keys list',
    'venice-keys keys create --description "backend prod" --usd 50 --period MONTH',
  ]);

  examples(
    keys
      .command('list')
      .description('list the active keys, newest first')
      .option('--all', 'page through every key')
      .option('--page <n>', 'page to show (1-based)', positiveInt, 1)
      .option('--limit <n>', 'keys per page', positiveInt, 100)
      .action(action(list)),
    [
      'venice-keys keys list',
      'venice-keys keys list --all --json | jq ".[].id"',
      'venice-keys keys list --page 2 --limit 50',
    ],
  );

  examples(
    settingsOptions(keys.command('create').description('create a key and show its secret, once'), 'create')
      .option('--secret-file <path>', 'write the secret to this new file (mode 0600) instead of showing it')
      .action(action(create)),
    [
      'venice-keys keys create --description "backend prod" --usd 50 --period MONTH',
      'venice-keys keys create --type ADMIN --description ops --expires 30d --secret-file ./ops.key',
      'venice-keys keys create --description ci --privacy PRIVATE_ONLY --expires "2027-01-01 09:00"',
    ],
  );

  examples(keys.command('show <id>').description('show one key').action(action(show)), [
    'venice-keys keys show e28e82dc-9df2-4b47-b726-d0a222ef2ab5',
  ]);

  examples(
    settingsOptions(keys.command('update <id>').description('change any setting of a key'), 'update').action(
      action(update),
    ),
    [
      'venice-keys keys update <id> --description renamed --usd 100',
      'venice-keys keys update <id> --no-expiry --no-usd-limit',
      'venice-keys keys update <id> --period LIFETIME --diem 20',
    ],
  );

  examples(
    keys
      .command('revoke <id...>')
      .description('revoke keys at once (asks first)')
      .option('-y, --yes', 'do not ask for confirmation')
      .action(action(revoke)),
    ['venice-keys keys revoke <id>', 'venice-keys keys revoke <id1> <id2> --yes'],
  );

  examples(
    keys
      .command('rotate <id>')
      .description('create a key with the same settings, then revoke the old one (asks first)')
      .option('--grace <duration>', 'keep the old key working this long (e.g. 10m, 1h, 2d)', durationOption)
      .option('-y, --yes', 'do not ask for confirmation')
      .action(action(rotate)),
    ['venice-keys keys rotate <id>', 'venice-keys keys rotate <id> --grace 1h --yes --json'],
  );
}
