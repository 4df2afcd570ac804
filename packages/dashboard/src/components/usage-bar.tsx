import { formatMoney, formatPercent } from '../format.js';

export type UsageLevel = 'ok' | 'warn' | 'over';

/** Amber from 80 % of the limit, red at 100 %; a zero limit is used up from the start. */
export function usageLevel(used: number, limit: number): UsageLevel {
  const fraction = limit > 0 ? used / limit : 1;
  return fraction >= 1 ? 'over' : fraction >= 0.8 ? 'warn' : 'ok';
}

interface Props {
  used: number;
  limit: number;
  /** What the bar says, visibly and to screen readers. */
  text: string;
  /** A share, not a cap: drawn without the warning colours. */
  neutral?: boolean;
}

/** Drawn in SVG so that the fill's width is an attribute, not an inline style the CSP would refuse. */
export function UsageBar({ used, limit, text, neutral }: Props) {
  const fraction = limit > 0 ? used / limit : 1;
  const level = neutral ? 'info' : usageLevel(used, limit);
  return (
    <div class={`usage usage-${level}`} data-level={level}>
      <svg class="usage-bar" viewBox="0 0 100 8" preserveAspectRatio="none" role="img" aria-label={text}>
        <rect class="usage-track" width="100" height="8" rx="4" />
        <rect class="usage-fill" width={Math.min(100, fraction * 100)} height="8" rx="4" />
      </svg>
      <span class="usage-text small">{text}</span>
    </div>
  );
}

/** A spend cap: "$1.2000 of $5.0000 (24 %)". */
export function SpendBar({ used, limit, currency }: { used: number; limit: number; currency: 'USD' | 'DIEM' }) {
  const fraction = limit > 0 ? used / limit : 1;
  const text = `${formatMoney(used, currency)} of ${formatMoney(limit, currency)} (${formatPercent(fraction)})`;
  return <UsageBar used={used} limit={limit} text={text} />;
}
