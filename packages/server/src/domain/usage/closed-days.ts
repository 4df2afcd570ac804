import { dayOf } from '../time.js';
import type { UsageReader, UsageSummary } from './ports.js';

/** Beyond the upstream timeout: the expiry sweep's period and the ledger writer's batching. */
const SETTLEMENT_SLACK_MS = 3_600_000;

/**
 * The last day that can no longer change. Spend counts for the day a request was admitted, and every
 * request is settled (or its expired hold is) within the upstream timeout: once that has passed since
 * a day ended, the day is final on every instance, its summary can be kept, and a long lookback then
 * reads only its last days.
 */
export const lastClosedDay = (now: number, settlesWithinMs: number): number =>
  dayOf(now - settlesWithinMs - SETTLEMENT_SLACK_MS) - 1;

const rowsOf = (s: UsageSummary) => s.byDayModel.length + s.byDayKey.length;

/** Summaries of closed days per account (and key, for an INFERENCE caller), least recently used dropped first. */
export class ClosedDaySummaries {
  readonly #days = new Map<string, UsageSummary>();
  #rows = 0;

  constructor(
    private readonly reader: UsageReader,
    private readonly settlesWithinMs: number,
    /** Bound on the rows kept, over every account. */
    private readonly maxRows = 200_000,
  ) {}

  /** The summary of `fromDay`…`toDay`: closed days from memory where known, the rest from the reader. */
  async summary(
    accountId: string,
    fromDay: number,
    toDay: number,
    onlyKeyId: string | undefined,
    now: number,
  ): Promise<UsageSummary> {
    const scope = `${accountId}\n${onlyKeyId ?? ''}`;
    const closed = lastClosedDay(now, this.settlesWithinMs);
    const parts: UsageSummary[] = [];
    // Runs of consecutive days not known yet: each is one read.
    const runs: [number, number][] = [];
    for (let day = fromDay; day <= toDay; day++) {
      const hit = day <= closed ? this.#get(`${scope}\n${day}`) : undefined;
      if (hit) parts.push(hit);
      else if (runs.at(-1)?.[1] === day - 1) (runs.at(-1) as [number, number])[1] = day;
      else runs.push([day, day]);
    }
    const read = await Promise.all(runs.map(([a, b]) => this.reader.usageSummary(accountId, a, b, onlyKeyId)));
    for (const [i, [a, b]] of runs.entries()) {
      const summary = read[i] as UsageSummary;
      parts.push(summary);
      for (let day = a; day <= Math.min(b, closed); day++) this.#put(`${scope}\n${day}`, ofDay(summary, day));
    }
    return { byDayModel: parts.flatMap((p) => p.byDayModel), byDayKey: parts.flatMap((p) => p.byDayKey) };
  }

  #get(key: string): UsageSummary | undefined {
    const hit = this.#days.get(key);
    if (hit) {
      this.#days.delete(key);
      this.#days.set(key, hit);
    }
    return hit;
  }

  #put(key: string, summary: UsageSummary): void {
    this.#days.set(key, summary);
    this.#rows += rowsOf(summary);
    for (const [old, s] of this.#days) {
      if (this.#rows <= this.maxRows) break;
      this.#days.delete(old);
      this.#rows -= rowsOf(s);
    }
  }
}

function ofDay(s: UsageSummary, day: number): UsageSummary {
  return { byDayModel: s.byDayModel.filter((r) => r.day === day), byDayKey: s.byDayKey.filter((r) => r.day === day) };
}
