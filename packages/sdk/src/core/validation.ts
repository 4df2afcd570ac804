import { VeniceValidationError } from './errors.js';

/**
 * Checks the SDK can make alone, so that obvious mistakes fail before any network call with a
 * `VeniceValidationError` naming the parameter. The server stays the judge of everything else.
 */

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{3})?Z$/;
export const MAX_LIMIT = 9_999_999_999;
export const MAX_DESCRIPTION = 64;

/** JSON for most values, but `NaN` and `Infinity` as themselves rather than JSON's `null`. */
const show = (v: unknown) => (typeof v === 'number' ? String(v) : JSON.stringify(v));

function fail(param: string, message: string): never {
  throw new VeniceValidationError(`Invalid ${param}: ${message}`, param);
}

export function oneOf<T extends string>(param: string, value: unknown, allowed: readonly T[], required: boolean): void {
  if (value === undefined && !required) return;
  if (!allowed.includes(value as T)) fail(param, `expected one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
}

export function nonEmptyString(param: string, value: unknown): void {
  if (typeof value !== 'string' || value.trim() === '') fail(param, 'expected a non-empty string');
}

/** An id that goes into a path: `.` and `..` would be resolved away by URL parsing, even encoded. */
export function id(value: unknown): void {
  nonEmptyString('id', value);
  if (value === '.' || value === '..') fail('id', `${JSON.stringify(value)} is not an id`);
}

export function integer(param: string, value: unknown, min: number, max: number): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    fail(param, `expected a whole number from ${min} to ${max}, got ${show(value)}`);
  }
}

export function description(value: unknown, required: boolean): void {
  if (value === undefined && !required) return;
  if (typeof value !== 'string' || value.length === 0) {
    fail('description', `expected a string of 1 to ${MAX_DESCRIPTION} characters`);
  }
  if (value.length > MAX_DESCRIPTION) fail('description', `at most ${MAX_DESCRIPTION} characters, got ${value.length}`);
}

/** `""` (never), `YYYY-MM-DD` or `YYYY-MM-DDTHH:mm:ss[.sss]Z`, a real calendar instant; `null` where allowed. */
export function expiresAt(value: unknown, allowNull: boolean): void {
  if (value === undefined || value === '' || (value === null && allowNull)) return;
  const m = typeof value === 'string' ? (DATE_ONLY.exec(value) ?? DATE_TIME.exec(value)) : null;
  if (m) {
    const [y, mo, d, h = 0, mi = 0, s = 0] = m.slice(1).map(Number) as number[];
    const t = new Date(Date.UTC(y!, mo! - 1, d!, h, mi, s));
    // Date.UTC rolls out-of-range parts over (Feb 30 → Mar 2, 10:75 → 11:15): a real instant reads back the same.
    const same =
      t.getUTCFullYear() === y &&
      t.getUTCMonth() === mo! - 1 &&
      t.getUTCDate() === d &&
      t.getUTCHours() === h &&
      t.getUTCMinutes() === mi &&
      t.getUTCSeconds() === s;
    if (same) return;
  }
  fail(
    'expiresAt',
    `expected "", YYYY-MM-DD or YYYY-MM-DDTHH:mm:ss[.sss]Z${allowNull ? ' or null' : ''}, got ${JSON.stringify(value)}`,
  );
}

export function consumptionLimit(value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail('consumptionLimit', 'expected an object');
  }
  for (const [k, v] of Object.entries(value)) {
    if (!['usd', 'diem', 'vcu'].includes(k)) fail(`consumptionLimit.${k}`, 'unknown field (expected usd, diem or vcu)');
    if (v === null || v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_LIMIT) {
      fail(`consumptionLimit.${k}`, `expected null or a number from 0 to ${MAX_LIMIT}, got ${show(v)}`);
    }
  }
}

/** An EVM address: what the server checks first ("Invalid wallet address"). */
export function walletAddress(value: unknown): void {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(value)) {
    fail('address', `expected a 0x-prefixed 20-byte hex address, got ${JSON.stringify(value)}`);
  }
}
