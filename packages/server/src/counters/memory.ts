import {
  type ConsumeResult,
  type LimitCounters,
  retryAfter,
  type WindowDemand,
  type WindowRef,
  type WindowState,
  weightedUsed,
  windowStart,
} from '../domain/ports/counters.js';

interface Window {
  start: number;
  used: number;
  /** The count of the window just before `start` (for sliding demands). */
  previous: number;
}

/** Counters of one process: the embedded default. */
export class MemoryLimitCounters implements LimitCounters {
  readonly kind = 'memory' as const;
  private readonly windows = new Map<string, Window>();
  private sweptAt = 0;

  private read(ref: WindowRef, now: number): Window {
    const start = windowStart(now, ref.windowMs);
    const w = this.windows.get(ref.key);
    if (w?.start === start) return w;
    return { start, used: 0, previous: w?.start === start - ref.windowMs ? w.used : 0 };
  }

  async consume(demands: readonly WindowDemand[], now: number): Promise<ConsumeResult> {
    this.sweep(now);
    const current = demands.map((d) => this.read(d, now));
    for (const [i, d] of demands.entries()) {
      const w = current[i] as Window;
      if (weightedUsed(d, now, w.used, w.previous) + d.cost > d.limit) {
        return { ok: false, failed: i, retryAfterMs: retryAfter(d, now, w.used, w.previous) };
      }
    }
    for (const [i, d] of demands.entries()) {
      const w = current[i] as Window;
      this.windows.set(d.key, { ...w, used: w.used + d.cost });
    }
    return { ok: true };
  }

  async peek(refs: readonly WindowRef[], now: number): Promise<WindowState[]> {
    return refs.map((r) => {
      const w = this.read(r, now);
      return { used: w.used, resetsAt: w.start + r.windowMs };
    });
  }

  /** Drops finished windows now and then, so that memory follows the live keys, not history. */
  private sweep(now: number): void {
    if (now - this.sweptAt < 60_000) return;
    this.sweptAt = now;
    for (const [key, w] of this.windows) if (w.start + 86_400_000 < now) this.windows.delete(key);
  }

  async close(): Promise<void> {
    this.windows.clear();
  }
}
