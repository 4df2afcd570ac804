const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

export const formatDateTime = (iso: string | null | undefined): string => (iso ? dateTime.format(new Date(iso)) : '—');
export const formatDate = (iso: string | null | undefined): string => (iso ? dateOnly.format(new Date(iso)) : '—');

/** Amounts arrive as "4.2000" strings or numbers; they are shown with the wire's 4 decimals. */
export function formatMoney(amount: number | string | null | undefined, currency: 'USD' | 'DIEM'): string {
  if (amount === null || amount === undefined) return '—';
  const n = typeof amount === 'string' ? Number(amount) : amount;
  return currency === 'USD' ? `$${n.toFixed(4)}` : `${n.toFixed(4)} DIEM`;
}

export const formatInteger = (n: number): string => n.toLocaleString();

export const formatPercent = (fraction: number): string => `${Math.round(fraction * 100)} %`;

/** "3 min 05 s" / "42 s": how long until an instant, never negative. */
export function formatCountdown(untilMs: number, nowMs: number): string {
  const total = Math.max(0, Math.ceil((untilMs - nowMs) / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  if (m > 0) return `${m} min ${String(s).padStart(2, '0')} s`;
  return `${s} s`;
}

export const PERIOD_LABEL = { EPOCH: 'today (UTC)', MONTH: 'this month', LIFETIME: 'lifetime' } as const;
