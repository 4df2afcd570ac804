import { VeniceValidationError } from './errors.js';

/**
 * Checks the SDK can make alone, so that obvious mistakes fail before any network call with a
 * `VeniceValidationError` naming the parameter. The server stays the judge of everything else.
 */

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{3})?Z$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?Z$/;
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

/** Whether a date or date-time match names a real calendar instant (Date.UTC rolls Feb 30 over to Mar 2). */
function realInstant(m: RegExpExecArray | null): boolean {
  if (!m) return false;
  const [y, mo, d, h = 0, mi = 0, s = 0] = m.slice(1).map(Number) as number[];
  const t = new Date(Date.UTC(y!, mo! - 1, d!, h, mi, s));
  return (
    t.getUTCFullYear() === y &&
    t.getUTCMonth() === mo! - 1 &&
    t.getUTCDate() === d &&
    t.getUTCHours() === h &&
    t.getUTCMinutes() === mi &&
    t.getUTCSeconds() === s
  );
}

/** `""` (never), `YYYY-MM-DD` or `YYYY-MM-DDTHH:mm:ss[.sss]Z`, a real calendar instant; `null` where allowed. */
export function expiresAt(value: unknown, allowNull: boolean): void {
  if (value === undefined || value === '' || (value === null && allowNull)) return;
  if (typeof value === 'string' && realInstant(DATE_ONLY.exec(value) ?? DATE_TIME.exec(value))) return;
  fail(
    'expiresAt',
    `expected "", YYYY-MM-DD or YYYY-MM-DDTHH:mm:ss[.sss]Z${allowNull ? ' or null' : ''}, got ${JSON.stringify(value)}`,
  );
}

/** An optional UTC instant `YYYY-MM-DDTHH:mm:ss[.fraction]Z` (up to 9 fraction digits), as usage-history bounds take. */
export function timestamp(param: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value === 'string' && realInstant(TIMESTAMP.exec(value))) return;
  fail(param, `expected an ISO 8601 UTC timestamp (YYYY-MM-DDTHH:mm:ss[.sss]Z), got ${JSON.stringify(value)}`);
}

/** An optional calendar date `YYYY-MM-DD`. */
export function date(param: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value === 'string' && realInstant(DATE_ONLY.exec(value))) return;
  fail(param, `expected a date YYYY-MM-DD, got ${JSON.stringify(value)}`);
}

/** A usage-history cursor as the wire allows it: URL-safe, at most 512 characters. */
export function cursor(value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]{1,512}$/.test(value)) {
    fail('cursor', 'expected the nextCursor of a previous page (up to 512 of A-Z, a-z, 0-9, _ and -)');
  }
}

/** `Nd` with N from 1 to `max`. */
export function lookback(value: unknown, max: number): void {
  if (value === undefined) return;
  const m = typeof value === 'string' ? /^([1-9]\d*)d$/.exec(value) : null;
  if (!m || Number(m[1]) > max) fail('lookback', `expected 1d to ${max}d, got ${JSON.stringify(value)}`);
}

/** Two parameters that only make sense together: both or neither. */
export function together(params: object, [a, b]: [string, string]): void {
  const p = params as Record<string, unknown>;
  if ((p[a] === undefined) !== (p[b] === undefined)) {
    fail(p[a] === undefined ? a : b, `${a} and ${b} go together: give both or neither`);
  }
}

/** A parameter that excludes others: the first of them given is the fault. */
export function apart(params: object, lone: string, others: readonly string[], why: string): void {
  const p = params as Record<string, unknown>;
  if (p[lone] === undefined) return;
  const clash = others.find((o) => p[o] !== undefined);
  if (clash !== undefined) fail(clash, why);
}

/** `a` strictly before `b` (both already checked); ISO strings of one form compare as instants. */
export function ordered(param: string, a: string | undefined, b: string | undefined, strict: boolean): void {
  if (a === undefined || b === undefined) return;
  const [x, y] = [Date.parse(a), Date.parse(b)];
  if (strict ? x >= y : x > y) fail(param, `must be ${strict ? 'later than' : 'on or after'} ${JSON.stringify(a)}`);
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
