/**
 * The gateway's counting and money core, as the domain needs it: one atomic, all-or-nothing admission
 * (error budget, rate windows, money held against the key's period and the account's balances) and its
 * settlement exactly once. Adapters: `MemoryReservations` (one process) and `RedisReservations` (every
 * instance, one Lua script per call); both pass one contract suite.
 *
 * Money is mirrored per account, never owned here: the database holds balances and settled spend, and
 * a mirror the adapter lacks is reported as `missing` so that the domain rebuilds it from the database
 * before any money is admitted (a cold or flushed Redis never admits on a blank slate).
 */

/** A fixed window aligned to multiples of `windowMs` since the epoch (a UTC minute or day). */
export interface WindowAsk {
  /** Stable name within the account, e.g. `<model>:RPM`. */
  name: string;
  windowMs: number;
  limit: number;
  cost: number;
}

export interface WindowState {
  name: string;
  limit: number;
  /** Counted in the current window, this request included when it was admitted. */
  used: number;
  /** End of the current window, epoch ms. */
  resetsAt: number;
}

export interface MoneyAsk {
  /** Worst-case cost of the request, micro-units: DIEM is held first, the rest in USD. */
  amount: bigint;
  /** The UTC day (days since the epoch) whose DIEM allocation is drawn from. */
  day: number;
  diemAllocation: bigint;
  /** First day of the key's limit period (0 for LIFETIME) and when it ends (null: never). */
  keyPeriodStart: number;
  keyPeriodEndsAt: number | null;
  keyLimitUsd: bigint | null;
  keyLimitDiem: bigint | null;
}

export interface ReserveRequest {
  id: string;
  accountId: string;
  keyId: string;
  windows: readonly WindowAsk[];
  money: MoneyAsk;
  now: number;
  /** When the reservation expires if never settled (a crashed instance): the sweeper settles it then. */
  deadline: number;
  /** Opaque to the adapter: what a sweeper on another instance needs to settle it (JSON text). */
  meta: string;
}

/** What may be spent right now, before this request: account balances within the key's remaining limits. */
export interface Spendable {
  usd: bigint;
  diem: bigint;
}

/** The mirrors of the database an admission needs. */
export type MirrorName = 'usd' | 'diem' | 'key';

export interface MirrorFacts {
  /** The account's USD balance in the database. */
  usdBalance: bigint;
  /** DIEM settled on `day`. */
  diemSpentOnDay: bigint;
  /** The key's settled spend from `keyPeriodStart` on. */
  keySpent: { usd: bigint; diem: bigint };
}

export interface HeldReservation {
  id: string;
  accountId: string;
  keyId: string;
  usd: bigint;
  diem: bigint;
  day: number;
  keyPeriodStart: number;
  /** The windows counted, with the window each was counted in. */
  windows: readonly { name: string; windowMs: number; windowStart: number; cost: number }[];
  deadline: number;
  meta: string;
}

export type ReserveOutcome =
  | { ok: true; reservation: HeldReservation; windows: WindowState[]; spendable: Spendable }
  /** The key's error budget is spent: refused until `until`. */
  | { ok: false; reason: 'blocked'; until: number }
  /**
   * `failed` indexes the first window that would pass its limit; `firstRefusal` is true for the first request
   * that window refused (on any instance), so that a breach is logged once per window, not once per request.
   */
  | {
      ok: false;
      reason: 'window';
      failed: number;
      firstRefusal: boolean;
      retryAfterMs: number;
      windows: WindowState[];
      spendable: Spendable;
    }
  | { ok: false; reason: 'key_usd' | 'key_diem' | 'balance'; windows: WindowState[]; spendable: Spendable }
  /** Rebuild these from the database and call `initMirrors` with this generation, then ask again. */
  | { ok: false; reason: 'missing'; mirrors: MirrorName[]; generation: number };

/** What a settlement charged: at most what was held, DIEM first. */
export interface Charge {
  usd: bigint;
  diem: bigint;
}

export interface FinalizeRequest {
  reservation: HeldReservation;
  charge: Charge;
  /** Real token counts per window name (TPM): the window is corrected to it. Others keep their cost. */
  actualCosts: Readonly<Record<string, number>>;
  now: number;
}

export interface ErrorBudget {
  /** More than `threshold` failures within any `windowMs` (a sliding window) block the key for `blockMs`. */
  threshold: number;
  windowMs: number;
  blockMs: number;
}

export interface Reservations {
  readonly kind: 'memory' | 'redis';
  /** All or nothing: on refusal nothing is counted anywhere. */
  reserve(request: ReserveRequest): Promise<ReserveOutcome>;
  /** Sets the named mirrors unless present, and only if no settlement bumped the generation since. */
  initMirrors(
    accountId: string,
    keyId: string,
    money: MoneyAsk,
    generation: number,
    facts: MirrorFacts,
    now: number,
  ): Promise<boolean>;
  /**
   * Releases what was held beyond `charge` and corrects the windows, once: a second finalize of the same
   * reservation, or one of a reservation already finalized, does nothing. Call only after the charge is
   * durable in the database. A finalized reservation is remembered `FINISHED_MS`, or a day if a sweeper
   * claimed it (its owner may still come late); one finalized again after that counts as lost.
   */
  finalize(request: FinalizeRequest): Promise<void>;
  /** Takes up to `limit` reservations past their deadline, claimed so that no other sweeper takes them meanwhile. */
  claimExpired(now: number, limit: number, claimMs: number): Promise<HeldReservation[]>;
  /** Counts a failure against the key's budget; true when this failure started a block. */
  recordFailure(accountId: string, keyId: string, budget: ErrorBudget, now: number): Promise<boolean>;
  /** When the key's error-budget block ends, or null when it is not blocked. */
  blockedUntil(accountId: string, keyId: string, now: number): Promise<number | null>;
  /** The current windows (nothing counted). */
  peekWindows(accountId: string, windows: readonly WindowAsk[], now: number): Promise<WindowState[]>;
  /**
   * What the key could spend now, in-flight reservations counted as spent (a read never claims more than
   * admission would allow). Null when a mirror it needs is not built yet (the database then knows all).
   */
  peekSpendable(accountId: string, keyId: string, money: MoneyAsk): Promise<Spendable | null>;
  /** An operator credit or debit: applied to the USD mirror when it exists, never creating or deleting it. */
  adjustUsd(accountId: string, delta: bigint): Promise<void>;
  close(): Promise<void>;
}

/**
 * How long a finalized reservation is remembered, so that a second finalize stays a no-op. Its owner
 * finalizes it once, so only a moment's grace is needed; kept a day each, a busy gateway's counters
 * would hold hundreds of millions. One a sweeper claimed is kept a day: its owner may still come late.
 */
export const FINISHED_MS = 60_000;
export const CLAIMED_FINISHED_MS = 86_400_000;
