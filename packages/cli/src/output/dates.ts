import { usageError } from '../errors.js';

const pad = (n: number) => String(n).padStart(2, '0');

/** An instant from the wire, in the local time zone (`TZ`): `2026-03-01 14:05`; `fallback` for none. */
export function localTime(iso: string | null | undefined, fallback = '-'): string {
  if (!iso) return fallback;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `90s`, `10m`, `2h`, `1d`, `2w` → milliseconds; undefined when the text is not such a duration. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+)([smhdw])$/.exec(text.trim());
  return m ? Number(m[1]) * UNIT_MS[m[2]!]! : undefined;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const LOCAL = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/;
const ZONED = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

type When = 'future' | 'past';

/**
 * An instant as the user writes it → as the wire takes it (`toISOString`). A date and time without a
 * zone is local time, like every date the CLI prints; an instant with a zone is kept; `30d`, `12h` …
 * count from now, forward for an expiry and back for the start of a report.
 */
function parseInstant(text: string, when: When, now: number): string {
  const t = text.trim();
  const ms = parseDuration(t);
  if (ms !== undefined) return new Date(when === 'future' ? now + ms : now - ms).toISOString();
  const local = LOCAL.exec(t);
  let date: Date | undefined;
  if (local) {
    const [y, mo, d, h, mi, s] = local.slice(1).map((x) => Number(x ?? '0')) as number[];
    date = new Date(y!, mo! - 1, d!, h!, mi!, s!);
  } else if (ZONED.test(t)) {
    date = new Date(t);
  } else if (DATE_ONLY.test(t)) {
    date = new Date(`${t}T00:00:00.000Z`);
  }
  if (!date || Number.isNaN(date.getTime())) {
    const ago = when === 'future' ? 'from now' : 'ago';
    throw usageError(
      `not a date: ${text} (use YYYY-MM-DD, "YYYY-MM-DD HH:mm" in local time, an ISO instant, or 30d / 12h ${ago})`,
    );
  }
  return date.toISOString();
}

/** An expiry: a bare date stays as it is, since the wire reads it as 00:00 UTC of that day. */
export function parseExpiry(text: string, now: number = Date.now()): string {
  return DATE_ONLY.test(text.trim()) ? text.trim() : parseInstant(text, 'future', now);
}

/** The bound of a report window; a bare date is 00:00 UTC of that day, as in an expiry; `7d` is 7 days ago. */
export function parseSince(text: string, now: number = Date.now()): string {
  return parseInstant(text, 'past', now);
}
