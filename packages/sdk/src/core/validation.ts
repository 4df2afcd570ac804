import { VeniceValidationError } from './errors.js';

/** Checks the SDK can make alone, so that obvious mistakes fail before any network call. */

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{3})?Z$/;
export const MAX_LIMIT = 9_999_999_999;

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

export function description(value: unknown, required: boolean): void {
  if (value === undefined && !required) return;
  if (typeof value !== 'string' || value.length === 0) fail('description', 'expected a string of 1 to 64 characters');
  if (value.length > 64) fail('description', `at most 64 characters, got ${value.length}`);
}

/** `""` (never), `YYYY-MM-DD` or `YYYY-MM-DDTHH:mm:ss[.sss]Z`; `null` too where the caller allows it. */
export function expiresAt(value: unknown, allowNull: boolean): void {
  if (value === undefined || value === '' || (value === null && allowNull)) return;
  const m = typeof value === 'string' ? (DATE_ONLY.exec(value) ?? DATE_TIME.exec(value)) : null;
  if (m) {
    const [y, mo, d, h = '0', mi = '0', s = '0'] = m.slice(1).map((x) => x ?? '0');
    const t = new Date(Date.UTC(+y!, +mo! - 1, +d!, +h, +mi, +s));
    if (t.getUTCFullYear() === +y! && t.getUTCMonth() === +mo! - 1 && t.getUTCDate() === +d! && t.getUTCHours() === +h)
      return;
  }
  fail(
    'expiresAt',
    `expected "", YYYY-MM-DD or YYYY-MM-DDTHH:mm:ss[.sss]Z${allowNull ? ' or null' : ''}, got ${JSON.stringify(value)}`,
  );
}

export function consumptionLimit(value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail('consumptionLimit', 'expected an object');
  for (const [k, v] of Object.entries(value)) {
    if (!['usd', 'diem', 'vcu'].includes(k)) fail(`consumptionLimit.${k}`, 'unknown field (expected usd, diem or vcu)');
    if (v === null || v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_LIMIT) {
      fail(`consumptionLimit.${k}`, `expected null or a number from 0 to ${MAX_LIMIT}, got ${JSON.stringify(v)}`);
    }
  }
}
