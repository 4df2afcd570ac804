/** Money is exact integer micro-units (1e-6) as bigint everywhere; these are the edges. */

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

/** Fixed-point text of micro-units with `places` decimals (≤ 6), rounded half up. */
export function formatMicros(micros: bigint, places = 6): string {
  const negative = micros < 0n;
  let abs = negative ? -micros : micros;
  const drop = 10n ** BigInt(6 - places);
  if (drop > 1n) abs = (abs + drop / 2n) / drop;
  const scale = 10n ** BigInt(places);
  const whole = abs / scale;
  const frac = (abs % scale).toString().padStart(places, '0');
  return `${negative ? '-' : ''}${whole}${places > 0 ? `.${frac}` : ''}`;
}

/** Micro-units as a JSON number (limits, balances). */
export function numberFromMicros(micros: bigint): number {
  return Number(formatMicros(micros));
}

/** Usage figures on the wire: strings with exactly 4 decimals. */
export function usageText(micros: bigint): string {
  return formatMicros(micros, 4);
}

export const minBig = (a: bigint, b: bigint): bigint => (a < b ? a : b);
export const maxBig = (a: bigint, b: bigint): bigint => (a > b ? a : b);
