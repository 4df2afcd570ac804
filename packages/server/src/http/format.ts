/** Wire formats of numbers and instants: money is bigint micro-units and time epoch ms until here. */

/** Powers of ten up to a million: two bigint exponentiations a call were half of its cost. */
const POWERS = [1n, 10n, 100n, 1_000n, 10_000n, 100_000n, 1_000_000n] as const;

/** Fixed-point text of micro-units with `places` decimals (≤ 6), rounded half up. */
export function formatMicros(micros: bigint, places = 6): string {
  const negative = micros < 0n;
  let abs = negative ? -micros : micros;
  const drop = POWERS[6 - places] as bigint;
  if (drop > 1n) abs = (abs + drop / 2n) / drop;
  const scale = POWERS[places] as bigint;
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

export const iso = (ms: number): string => new Date(ms).toISOString();
export const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));
