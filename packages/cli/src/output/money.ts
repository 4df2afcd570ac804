/**
 * A money figure from the wire for people: at least 2 decimals, more only when they carry something
 * (`"4.2000"` → `4.20`, `0.0042` → `0.0042`). Strings are trimmed as text, never through a float.
 */
export function amount(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '-';
  const text = typeof value === 'number' ? value.toFixed(6) : value;
  const m = /^(-?\d+)(?:\.(\d*))?$/.exec(text);
  if (!m) return text;
  const decimals = (m[2] ?? '').replace(/0+$/, '').padEnd(2, '0');
  return `${m[1]}.${decimals}`;
}

/** `--usd 12.5` → 12.5; what the SDK and the server bound-check stays theirs. */
export function parseAmount(text: string): number | undefined {
  return /^\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : undefined;
}
