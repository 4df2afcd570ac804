import type { Palette } from './colour.js';

export interface Column<T> {
  header: string;
  value(row: T): string;
  align?: 'left' | 'right';
  /** May be cut down to this many characters (with `…`) when the table is too wide. */
  minWidth?: number;
  /** Left out when the table is too wide even with every column cut down; the highest goes first. */
  dropOrder?: number;
}

const GAP = 2;

function cut(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/**
 * Lays the columns out to fit `width` (no limit when undefined): first columns are left out by their
 * `dropOrder` until cutting the cuttable ones can make the rest fit, then the widest cuttable column is
 * cut first. Ids and amounts are never cut, because a cut id is useless.
 */
export function renderTable<T>(columns: Column<T>[], rows: T[], width: number | undefined, c: Palette): string[] {
  const cells = rows.map((row) => columns.map((col) => col.value(row).replace(/\s+/g, ' ')));
  let shown = columns.map((col, i) => ({
    col,
    i,
    width: Math.max(col.header.length, ...cells.map((r) => r[i]!.length)),
  }));
  const total = () => shown.reduce((sum, s) => sum + s.width, 0) + GAP * Math.max(0, shown.length - 1);
  const floor = () =>
    shown.reduce((sum, s) => sum + Math.min(s.width, s.col.minWidth ?? s.width), 0) +
    GAP * Math.max(0, shown.length - 1);

  if (width !== undefined) {
    while (floor() > width) {
      const droppable = shown.filter((s) => s.col.dropOrder !== undefined);
      if (droppable.length === 0) break;
      const victim = droppable.reduce((a, b) => ((b.col.dropOrder ?? 0) > (a.col.dropOrder ?? 0) ? b : a));
      shown = shown.filter((s) => s !== victim);
    }
    while (total() > width) {
      const cuttable = shown.filter((s) => s.col.minWidth !== undefined && s.width > s.col.minWidth);
      if (cuttable.length === 0) break;
      const widest = cuttable.reduce((a, b) => (b.width > a.width ? b : a));
      widest.width = Math.max(widest.col.minWidth!, widest.width - (total() - width));
    }
  }

  const line = (texts: string[], style: (t: string) => string = String) =>
    shown
      .map((s) => {
        const text = cut(texts[s.i]!, s.width);
        const padded = s.col.align === 'right' ? text.padStart(s.width) : text.padEnd(s.width);
        return style(padded);
      })
      .join(' '.repeat(GAP))
      .trimEnd();
  return [
    line(
      columns.map((col) => col.header),
      c.bold,
    ),
    ...cells.map((r) => line(r)),
  ];
}

/** `label  value` lines with the labels aligned, for one record. */
export function renderFields(fields: [string, string][], c: Palette): string[] {
  const width = Math.max(0, ...fields.map(([label]) => label.length));
  return fields.map(([label, value]) => `${c.dim(label.padEnd(width))}  ${value}`);
}
