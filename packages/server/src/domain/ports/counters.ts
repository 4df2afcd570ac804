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
