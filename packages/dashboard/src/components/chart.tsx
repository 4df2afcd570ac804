import { useEffect, useId, useRef, useState } from 'preact/hooks';

export interface Series {
  name: string;
}

export interface DailyRow {
  /** YYYY-MM-DD (UTC). */
  day: string;
  /** One value per series, in the series' order. */
  values: number[];
}

interface Props {
  title: string;
  series: Series[];
  rows: DailyRow[];
  format(value: number): string;
}

const H = 220;

/**
 * The figure's width in CSS pixels, so that the SVG is drawn 1:1 and its 11 px labels stay 11 px on
 * a phone and on a wide screen alike.
 */
function useWidth(fallback: number) {
  const ref = useRef<HTMLElement>(null);
  const [width, setWidth] = useState(fallback);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const observer = new ResizeObserver(
      ([entry]) => entry && setWidth(Math.max(200, Math.floor(entry.contentRect.width))),
    );
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return { ref, width };
}
const PAD = { left: 56, right: 8, top: 12, bottom: 28 };

/** The smallest 1/2/5 × 10ⁿ at or above the largest value, so the axis reads in round numbers. */
export function niceCeiling(max: number): number {
  if (max <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(max));
  return ([1, 2, 5, 10].find((m) => m * magnitude >= max) ?? 10) * magnitude;
}

/** Stacked bars per day, drawn by hand in SVG; colours come from classes (series-0 … series-7). */
export function DailyChart({ title, series, rows, format }: Props) {
  const id = useId();
  const { ref, width: W } = useWidth(640);
  const totals = rows.map((r) => r.values.reduce((a, b) => a + b, 0));
  const top = niceCeiling(Math.max(0, ...totals));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(1, rows.length);
  const barW = Math.max(1, slot * 0.7);
  const y = (v: number) => PAD.top + plotH - (v / top) * plotH;
  const labelEvery = Math.ceil(rows.length / Math.max(2, Math.floor(plotW / 56)));
  return (
    <figure class="chart" ref={ref}>
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-describedby={`${id}-data`}>
        <title>{title}</title>
        {[0, 0.5, 1].map((f) => (
          <g>
            <line class="chart-grid" x1={PAD.left} x2={W - PAD.right} y1={y(top * f)} y2={y(top * f)} />
            <text class="chart-label" x={PAD.left - 6} y={y(top * f) + 4} text-anchor="end">
              {format(top * f)}
            </text>
          </g>
        ))}
        {rows.map((row, i) => {
          const x = PAD.left + i * slot + (slot - barW) / 2;
          let base = 0;
          return (
            <g>
              <title>{`${row.day}: ${row.values.map((v, s) => `${series[s]?.name} ${format(v)}`).join(', ')}`}</title>
              {row.values.map((v, s) => {
                const bar = (
                  <rect class={`series-${s % 8}`} x={x} width={barW} y={y(base + v)} height={(v / top) * plotH} />
                );
                base += v;
                return bar;
              })}
              {i % labelEvery === 0 && (
                <text class="chart-label" x={x + barW / 2} y={H - 8} text-anchor="middle">
                  {row.day.slice(5)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      {series.length > 1 && (
        <ul class="legend">
          {series.map((s, i) => (
            <li>
              <svg class="swatch" viewBox="0 0 10 10" aria-hidden="true">
                <rect class={`series-${i % 8}`} width="10" height="10" rx="2" />
              </svg>
              {s.name}
            </li>
          ))}
        </ul>
      )}
      <details id={`${id}-data`}>
        <summary>Data</summary>
        <div class="scroll-x">
          <table class="table compact">
            <thead>
              <tr>
                <th scope="col">Day</th>
                {series.map((s) => (
                  <th scope="col">{s.name}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr>
                  <th scope="row">{row.day}</th>
                  {row.values.map((v) => (
                    <td>{format(v)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}

/** The last `days` UTC days ending today, oldest first. */
export function lastDays(days: number, nowMs: number): string[] {
  const today = Math.floor(nowMs / 86_400_000);
  return Array.from({ length: days }, (_, i) =>
    new Date((today - days + 1 + i) * 86_400_000).toISOString().slice(0, 10),
  );
}

/** Horizontal bars for a few named totals (spend per model). */
export function TotalsChart({
  title,
  items,
  format,
}: {
  title: string;
  items: { name: string; value: number }[];
  format(v: number): string;
}) {
  const max = Math.max(0, ...items.map((i) => i.value));
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <ul class="totals">
        {items.map((item) => (
          <li>
            <span class="totals-name">{item.name}</span>
            <svg class="totals-bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">
              <rect class="series-0" width={max > 0 ? (item.value / max) * 100 : 0} height="10" rx="2" />
            </svg>
            <span class="totals-value">{format(item.value)}</span>
          </li>
        ))}
      </ul>
    </figure>
  );
}
