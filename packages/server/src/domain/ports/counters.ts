/**
 * Fixed-window counters shared by everything that limits a rate (key creation per client, the
 * gateway's RPM/RPD/TPM). Windows are aligned to multiples of their length since the epoch, so a
 * day window is a UTC day and every instance agrees on it.
 */
export interface WindowRef {
  /** Counter name, e.g. `rl:<account>:<model>:RPM`. */
  key: string;
  windowMs: number;
}

export interface WindowDemand extends WindowRef {
  limit: number;
  cost: number;
  /**
   * Two-window weighted instead of fixed: the previous window counts in proportion to how much of
   * it still overlaps the last `windowMs`, so a burst at a window's end cannot be repeated at the
   * next window's start.
   */
  sliding?: boolean;
}

export interface WindowState {
  used: number;
  /** When the current window ends (epoch ms). */
  resetsAt: number;
}

export type ConsumeResult =
  | { ok: true }
  /** `failed` is the index of the first demand that would exceed its limit; nothing was counted. */
  | { ok: false; failed: number; retryAfterMs: number };

export interface LimitCounters {
  readonly kind: 'memory' | 'redis';
  /** Counts every demand, or none of them if any would pass its limit. */
  consume(demands: readonly WindowDemand[], now: number): Promise<ConsumeResult>;
  peek(refs: readonly WindowRef[], now: number): Promise<WindowState[]>;
  close(): Promise<void>;
}

export const windowStart = (now: number, windowMs: number): number => Math.floor(now / windowMs) * windowMs;

/** Weight of the previous window in a sliding demand at `now`, in millionths (integers keep Lua exact). */
export const previousWeight = (now: number, windowMs: number): number =>
  Math.floor(((windowStart(now, windowMs) + windowMs - now) * 1_000_000) / windowMs);

/** What a demand counts as used at `now`, given its current and previous windows' counts. */
export function weightedUsed(
  d: Pick<WindowDemand, 'windowMs' | 'sliding'>,
  now: number,
  current: number,
  previous: number,
): number {
  return d.sliding ? current + Math.ceil((previous * previousWeight(now, d.windowMs)) / 1_000_000) : current;
}

/**
 * How long until a refused demand would fit. Fixed: the window's end. Sliding: the previous
 * window's weight falls linearly, so the wait is until it has fallen far enough (or, when the
 * current window alone is full, until it becomes the previous one and falls in turn).
 */
export function retryAfter(d: WindowDemand, now: number, current: number, previous: number): number {
  const end = windowStart(now, d.windowMs) + d.windowMs;
  if (!d.sliding) return end - now;
  const room = d.limit - d.cost - current;
  if (room < 0) {
    // Next window: `current` becomes the previous one, weighted down from 1 until it leaves room.
    return end - now + Math.ceil((d.windowMs * Math.max(0, current - (d.limit - d.cost))) / Math.max(current, 1));
  }
  return Math.max(1, Math.ceil(((end - now) * previous - d.windowMs * room) / Math.max(previous, 1)));
}
