import {
  API_KEY_TYPES,
  type ApiKeyCreateParams,
  type ApiKeyUpdateParams,
  LIMIT_PERIODS,
  MODEL_PRIVACIES,
} from '@venice-keys/sdk';
import { type Command, InvalidArgumentError } from 'commander';
import { usageError } from '../errors.js';
import { parseDuration, parseExpiry, parseSince } from '../output/dates.js';
import { parseAmount } from '../output/money.js';

/** The key settings create, update and web3 mint share, as commander parses them. */
export interface SettingsOptions {
  type?: ApiKeyCreateParams['apiKeyType'];
  description?: string;
  expires?: string;
  usd?: number;
  diem?: number;
  period?: ApiKeyCreateParams['limitPeriod'];
  privacy?: ApiKeyCreateParams['modelPrivacy'];
  // update only: commander's names for --no-expiry, --no-usd-limit, --no-diem-limit
  expiry?: boolean;
  usdLimit?: boolean;
  diemLimit?: boolean;
}

function choice<T extends string>(values: readonly T[]) {
  return (text: string): T => {
    const value = text.trim().toUpperCase() as T;
    if (!values.includes(value)) throw new InvalidArgumentError(`expected one of ${values.join(', ')}`);
    return value;
  };
}

export function durationOption(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) throw new InvalidArgumentError('expected a duration like 90s, 10m, 2h or 1d');
  return ms;
}

function money(text: string): number {
  const value = parseAmount(text);
  if (value === undefined) throw new InvalidArgumentError('expected a non-negative amount like 50 or 12.50');
  return value;
}

/** A date parser as a commander option parser: its complaint becomes commander's "argument … is invalid". */
const dateOption = (parse: (text: string) => string) => (text: string) => {
  try {
    return parse(text);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message.replace(/^not a date: .*? \(/, '('));
  }
};

const expiry = dateOption(parseExpiry);
export const sinceOption = dateOption(parseSince);

/** Adds the settings options; `update` adds the ways to remove a setting and drops the type. */
export function settingsOptions(command: Command, mode: 'create' | 'update' | 'mint'): Command {
  if (mode !== 'update') {
    command.option('--type <type>', `key type: ${API_KEY_TYPES.join(' | ')}`, choice(API_KEY_TYPES), 'INFERENCE');
  }
  command
    .option('--description <text>', 'what the key is for (1-64 characters)')
    .option(
      '--expires <when>',
      'expiry: YYYY-MM-DD (00:00 UTC), "YYYY-MM-DD HH:mm" (local), an ISO instant, or 30d',
      expiry,
    )
    .option('--usd <amount>', 'USD spend limit per period', money)
    .option('--diem <amount>', 'DIEM spend limit per period', money)
    .option('--period <period>', `limit period: ${LIMIT_PERIODS.join(' | ')}`, choice(LIMIT_PERIODS))
    .option('--privacy <setting>', `models allowed: ${MODEL_PRIVACIES.join(' | ')}`, choice(MODEL_PRIVACIES));
  if (mode === 'update') {
    command
      .option('--no-expiry', 'remove the expiry')
      .option('--no-usd-limit', 'remove the USD limit')
      .option('--no-diem-limit', 'remove the DIEM limit');
  }
  return command;
}

type Settings = Omit<ApiKeyUpdateParams, 'id'>;

/** The wire fields for what was given; options not given are left out, so the server keeps or defaults them. */
export function settingsFrom(o: SettingsOptions): Settings {
  const clash = (a: unknown, b: boolean | undefined, names: string) => {
    if (a !== undefined && b === false) throw usageError(`${names}: give one or the other`);
  };
  clash(o.expires, o.expiry, '--expires and --no-expiry');
  clash(o.usd, o.usdLimit, '--usd and --no-usd-limit');
  clash(o.diem, o.diemLimit, '--diem and --no-diem-limit');
  const settings: Settings = {};
  if (o.description !== undefined) settings.description = o.description;
  if (o.expires !== undefined) settings.expiresAt = o.expires;
  if (o.expiry === false) settings.expiresAt = null;
  const limit: NonNullable<Settings['consumptionLimit']> = {};
  if (o.usd !== undefined) limit.usd = o.usd;
  if (o.usdLimit === false) limit.usd = null;
  if (o.diem !== undefined) limit.diem = o.diem;
  if (o.diemLimit === false) limit.diem = null;
  if (Object.keys(limit).length > 0) settings.consumptionLimit = limit;
  if (o.period !== undefined) settings.limitPeriod = o.period;
  if (o.privacy !== undefined) settings.modelPrivacy = o.privacy;
  return settings;
}

type CreateSettings = Partial<Omit<ApiKeyCreateParams, 'apiKeyType'>>;

/** Settings for a new key (create, mint): these commands have no `--no-…` options, so nothing is null. */
export function newKeySettings(o: SettingsOptions): CreateSettings {
  const { expiresAt, ...rest } = settingsFrom(o);
  return expiresAt === undefined || expiresAt === null ? rest : { ...rest, expiresAt };
}
