/** Money is exact integer micro-units (1e-6) as bigint everywhere; decimals become micro-units here. */

export const MICROS_PER_UNIT = 1_000_000n;

/** Decimal text (plain or exponent form, non-negative) to micro-units, rounded half up at 6 decimals. */
export function microsFromDecimal(text: string): bigint {
  const m = /^(\d+)(?:\.(\d*))?(?:e([+-]?\d+))?$/i.exec(text.trim());
  if (!m) throw new RangeError(`not a non-negative decimal: ${text}`);
  const [, intPart = '0', fracPart = '', expPart = '0'] = m;
  let digits = intPart + fracPart;
  // Position of the decimal point within `digits`, after applying the exponent.
  let point = intPart.length + Number(expPart);
  if (point < 0) {
    digits = '0'.repeat(-point) + digits;
    point = 0;
  }
  if (point > digits.length) digits += '0'.repeat(point - digits.length);
  const whole = digits.slice(0, point) || '0';
  const frac = digits.slice(point).padEnd(7, '0');
  const micros = BigInt(whole) * MICROS_PER_UNIT + BigInt(frac.slice(0, 6));
  return frac.charCodeAt(6) >= 53 /* '5' */ ? micros + 1n : micros;
}

/** A JSON number to micro-units, as the user wrote it (shortest round-trip form), half up. */
export function microsFromNumber(value: number): bigint {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`not a non-negative finite number: ${value}`);
  return microsFromDecimal(String(value));
}

export const minBig = (a: bigint, b: bigint): bigint => (a < b ? a : b);
export const maxBig = (a: bigint, b: bigint): bigint => (a > b ? a : b);
