import { MICROS_PER_UNIT, microsFromDecimal } from '../domain/money.js';

/** The API's bound for any amount (a consumption limit, a balance figure): 0 to 9,999,999,999 units. */
export const MAX_AMOUNT_MICROS = 9_999_999_999n * MICROS_PER_UNIT;

/**
 * An operator amount as plain decimal text, within the API's bounds, as micro-units. Exponents,
 * signs, NaN and Infinity are refused outright: `1e400` must never reach the database.
 */
export function parseAmount(text: string, options: { positive: boolean }): bigint | string {
  if (!/^\d{1,16}(\.\d{1,18})?$/.test(text)) {
    return `not an amount: ${JSON.stringify(text)} (use a plain decimal like 12.50, from 0 to 9999999999)`;
  }
  const micros = microsFromDecimal(text);
  if (micros > MAX_AMOUNT_MICROS) return `amount out of range: ${text} (at most 9999999999)`;
  if (options.positive && micros <= 0n) return `amount must be positive: ${text}`;
  return micros;
}
