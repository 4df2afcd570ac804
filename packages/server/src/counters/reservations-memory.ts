import { planHold, spendableOf } from '../domain/gateway/hold.js';
import {
  CLAIMED_FINISHED_MS,
  type ErrorBudget,
  FINISHED_MS,
  type FinalizeRequest,
  type HeldReservation,
  type MirrorFacts,
  type MirrorName,
  type MoneyAsk,
  type Reservations,
  type ReserveOutcome,
  type ReserveRequest,
  type Spendable,
  type WindowAsk,
  type WindowState,
} from '../domain/ports/reservations.js';

const DAY_MS = 86_400_000;
const windowStart = (now: number, ms: number) => Math.floor(now / ms) * ms;

/** A sliding window, not a fixed one: `threshold + 1` failures within any `windowMs` trip the budget. */
const overBudget = (times: readonly number[], budget: ErrorBudget, now: number) =>
  times.length > budget.threshold && now - (times[0] as number) < budget.windowMs;

interface Record {
  held: HeldReservation;
  /** A sweeper took it over: its owner may still finalize it too. */
  claimed: boolean;
}

/**
 * Ids of finalized reservations until they may be forgotten. All live as long, so they expire in the
 * order they were added: forgetting is a walk from the head, never a scan of all of them.
 */
class Finished {
  private readonly until = new Map<string, number>();
  private readonly order: string[] = [];
  private head = 0;

  constructor(private readonly ms: number) {}

  has(id: string): boolean {
    return this.until.has(id);
  }

  add(id: string, now: number): void {
    this.until.set(id, now + this.ms);
    this.order.push(id);
  }

  forget(now: number): void {
    while (this.head < this.order.length) {
      const id = this.order[this.head] as string;
      if ((this.until.get(id) ?? 0) > now) break;
      this.until.delete(id);
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order.splice(0, this.head);
      this.head = 0;
    }
  }

  get size(): number {
    return this.until.size;
  }
}

interface Window {
  start: number;
  used: number;
}

/** One key's state: its spend per limit period, and its error budget. */
interface KeyState {
  /** Settled and held spend, per first day of a limit period. */
  periods: Map<number, { usd: bigint; diem: bigint }>;
  /** The times of its newest `threshold + 1` failures, oldest first. */
  failures: number[];
  blockedUntil: number | undefined;
}

/**
 * One account's state. Admission looks everything up from the account down, by ids and window names
 * that are the same strings request after request (their hashes cached), rather than by keys
 * concatenated anew for every lookup: that made half of this adapter's cost.
 */
interface AccountState {
  /** The USD mirror: balance minus outstanding holds. */
  usd: bigint | undefined;
  /** DIEM settled and held, per UTC day. */
  diem: Map<number, bigint>;
  keys: Map<string, KeyState>;
  windows: Map<string, Window>;
  generation: number;
}

/**
 * Reservations of one process. Every method runs to completion without awaiting anything, so each
 * admission and settlement is atomic against every other in this process, as the Redis script is
 * across instances.
 */
export class MemoryReservations implements Reservations {
  readonly kind = 'memory' as const;
  private readonly accounts = new Map<string, AccountState>();
  /** Reservations held now. */
  private readonly records = new Map<string, Record>();
  private readonly finished = new Finished(FINISHED_MS);
  private readonly claimedFinished = new Finished(CLAIMED_FINISHED_MS);
  /** Windows that refused a request already (one breach per window). */
  private readonly refusedWindows = new Set<string>();
  private sweptAt = 0;

  private account(accountId: string): AccountState {
    let a = this.accounts.get(accountId);
    if (!a) {
      a = { usd: undefined, diem: new Map(), keys: new Map(), windows: new Map(), generation: 0 };
      this.accounts.set(accountId, a);
    }
    return a;
  }

  private key(a: AccountState, keyId: string): KeyState {
    let k = a.keys.get(keyId);
    if (!k) {
      k = { periods: new Map(), failures: [], blockedUntil: undefined };
      a.keys.set(keyId, k);
    }
    return k;
  }

  /** The window `w` counts in now: the live one, or a fresh one when it has not started yet. */
  private static window(a: AccountState | undefined, w: { name: string; windowMs: number }, now: number): Window {
    const start = windowStart(now, w.windowMs);
    const found = a?.windows.get(w.name);
    return found && found.start === start ? found : { start, used: 0 };
  }

  private static stateOf(a: AccountState, keyId: string, money: MoneyAsk) {
    const usdAvailable = a.usd;
    const diemUsedOnDay = a.diem.get(money.day);
    const keyUsed = a.keys.get(keyId)?.periods.get(money.keyPeriodStart);
    const missing: MirrorName[] = [];
    if (usdAvailable === undefined) missing.push('usd');
    if (diemUsedOnDay === undefined) missing.push('diem');
    if (keyUsed === undefined) missing.push('key');
    if (missing.length > 0) return { missing };
    return { state: { usdAvailable, diemUsedOnDay, keyUsed } as Parameters<typeof spendableOf>[1] };
  }

  /** Reservations held, and finalized ones remembered (for tests: memory follows the load, not the day). */
  get sizes(): { held: number; finished: number } {
    return { held: this.records.size, finished: this.finished.size + this.claimedFinished.size };
  }

  async reserve(r: ReserveRequest): Promise<ReserveOutcome> {
    this.sweep(r.now);
    const a = this.account(r.accountId);
    const until = blockedAt(a.keys.get(r.keyId), r.now);
    if (until !== null) return { ok: false, reason: 'blocked', until };
    const found = MemoryReservations.stateOf(a, r.keyId, r.money);
    if (!found.state) return { ok: false, reason: 'missing', mirrors: found.missing, generation: a.generation };
    const spendable = spendableOf(r.money, found.state);
    const current = r.windows.map((w) => MemoryReservations.window(a, w, r.now));
    const states = (extra: boolean): WindowState[] =>
      r.windows.map((w, i) => ({
        name: w.name,
        limit: w.limit,
        used: (current[i] as Window).used + (extra ? w.cost : 0),
        resetsAt: (current[i] as Window).start + w.windowMs,
      }));
    const failed = r.windows.findIndex((w, i) => (current[i] as Window).used + w.cost > w.limit);
    if (failed >= 0) {
      const w = r.windows[failed] as WindowAsk;
      const retryAfterMs = windowStart(r.now, w.windowMs) + w.windowMs - r.now;
      const marker = `${r.accountId}:${w.name}:${windowStart(r.now, w.windowMs)}`;
      const firstRefusal = !this.refusedWindows.has(marker);
      this.refusedWindows.add(marker);
      return { ok: false, reason: 'window', failed, firstRefusal, retryAfterMs, windows: states(false), spendable };
    }
    const hold = planHold(r.money, found.state);
    if (typeof hold === 'string') return { ok: false, reason: hold, windows: states(false), spendable };

    const windows = states(true);
    for (const [i, w] of r.windows.entries()) {
      const c = current[i] as Window;
      // A fresh window becomes the live one; the live one is counted in place.
      if (a.windows.get(w.name) !== c) a.windows.set(w.name, c);
      c.used += w.cost;
    }
    a.usd = (a.usd as bigint) - hold.usd;
    a.diem.set(r.money.day, found.state.diemUsedOnDay + hold.diem);
    const key = found.state.keyUsed;
    (a.keys.get(r.keyId) as KeyState).periods.set(r.money.keyPeriodStart, {
      usd: key.usd + hold.usd,
      diem: key.diem + hold.diem,
    });
    const held: HeldReservation = {
      id: r.id,
      accountId: r.accountId,
      keyId: r.keyId,
      usd: hold.usd,
      diem: hold.diem,
      day: r.money.day,
      keyPeriodStart: r.money.keyPeriodStart,
      windows: r.windows.map((w, i) => ({
        name: w.name,
        windowMs: w.windowMs,
        windowStart: (current[i] as Window).start,
        cost: w.cost,
      })),
      deadline: r.deadline,
      meta: r.meta,
    };
    this.records.set(r.id, { held, claimed: false });
    return { ok: true, reservation: held, windows, spendable };
  }

  async initMirrors(
    accountId: string,
    keyId: string,
    money: MoneyAsk,
    generation: number,
    facts: MirrorFacts,
  ): Promise<boolean> {
    const a = this.account(accountId);
    if (a.generation !== generation) return false;
    a.usd ??= facts.usdBalance;
    if (!a.diem.has(money.day)) a.diem.set(money.day, facts.diemSpentOnDay);
    const periods = this.key(a, keyId).periods;
    if (!periods.has(money.keyPeriodStart)) periods.set(money.keyPeriodStart, { ...facts.keySpent });
    return true;
  }

  async finalize(f: FinalizeRequest): Promise<void> {
    const h = f.reservation;
    const record = this.records.get(h.id);
    // A held record is not finalized yet: only without one is it worth asking whether it was.
    if (!record && (this.finished.has(h.id) || this.claimedFinished.has(h.id))) return;
    // A record this process never held (it restarted): the mirrors were rebuilt from a database that may
    // lack this charge, so count it in (at worst twice: an account may then spend less, never more).
    const lost = record === undefined;
    // What was held is what the record says (as in the Redis adapter's script).
    const usdDelta = lost ? -f.charge.usd : record.held.usd - f.charge.usd;
    const diemDelta = lost ? f.charge.diem : f.charge.diem - record.held.diem;
    const a = this.account(h.accountId);
    if (a.usd === undefined) a.generation++;
    else a.usd += usdDelta;
    const diem = a.diem.get(h.day);
    if (diem === undefined) a.generation++;
    else a.diem.set(h.day, diem + diemDelta);
    const periods = a.keys.get(h.keyId)?.periods;
    const key = periods?.get(h.keyPeriodStart);
    if (periods && key) periods.set(h.keyPeriodStart, { usd: key.usd - usdDelta, diem: key.diem + diemDelta });
    else a.generation++;
    if (!lost) {
      for (const w of h.windows) {
        const actual = f.actualCosts[w.name];
        const live = a.windows.get(w.name);
        if (actual !== undefined && live && live.start === w.windowStart) live.used += actual - w.cost;
      }
    }
    this.records.delete(h.id);
    (record?.claimed ? this.claimedFinished : this.finished).add(h.id, f.now);
    this.finished.forget(f.now);
  }

  async claimExpired(now: number, limit: number, claimMs: number): Promise<HeldReservation[]> {
    const claimed: HeldReservation[] = [];
    for (const record of this.records.values()) {
      if (claimed.length >= limit) break;
      if (record.held.deadline > now) continue;
      record.held = { ...record.held, deadline: now + claimMs };
      record.claimed = true;
      claimed.push(record.held);
    }
    return claimed;
  }

  async recordFailure(accountId: string, keyId: string, budget: ErrorBudget, now: number): Promise<boolean> {
    const k = this.key(this.account(accountId), keyId);
    k.failures.push(now);
    if (k.failures.length > budget.threshold + 1) k.failures.shift();
    if (!overBudget(k.failures, budget, now) || blockedAt(k, now) !== null) return false;
    k.blockedUntil = now + budget.blockMs;
    return true;
  }

  async blockedUntil(accountId: string, keyId: string, now: number): Promise<number | null> {
    return blockedAt(this.accounts.get(accountId)?.keys.get(keyId), now);
  }

  async peekWindows(accountId: string, windows: readonly WindowAsk[], now: number): Promise<WindowState[]> {
    const a = this.accounts.get(accountId);
    return windows.map((w) => {
      const c = MemoryReservations.window(a, w, now);
      return { name: w.name, limit: w.limit, used: c.used, resetsAt: c.start + w.windowMs };
    });
  }

  async peekSpendable(accountId: string, keyId: string, money: MoneyAsk): Promise<Spendable | null> {
    const a = this.accounts.get(accountId);
    const usdAvailable = a?.usd;
    const diemUsedOnDay = a?.diem.get(money.day);
    const keyUsed = a?.keys.get(keyId)?.periods.get(money.keyPeriodStart);
    if (usdAvailable === undefined || diemUsedOnDay === undefined) return null;
    if (keyUsed === undefined && (money.keyLimitUsd !== null || money.keyLimitDiem !== null)) return null;
    return spendableOf(money, { usdAvailable, diemUsedOnDay, keyUsed: keyUsed ?? { usd: 0n, diem: 0n } });
  }

  async adjustUsd(accountId: string, delta: bigint): Promise<void> {
    const a = this.accounts.get(accountId);
    if (a?.usd !== undefined) a.usd += delta;
  }

  async close(): Promise<void> {
    this.records.clear();
  }

  /** Memory follows the live accounts: finished windows, past days and old tombstones go now and then. */
  private sweep(now: number): void {
    if (now - this.sweptAt < 60_000) return;
    this.sweptAt = now;
    const today = Math.floor(now / DAY_MS);
    for (const a of this.accounts.values()) {
      for (const [name, w] of a.windows) if (w.start + DAY_MS < now) a.windows.delete(name);
      for (const day of a.diem.keys()) if (day < today - 1) a.diem.delete(day);
    }
    for (const k of this.refusedWindows)
      if (Number(k.slice(k.lastIndexOf(':') + 1)) + 2 * DAY_MS < now) this.refusedWindows.delete(k);
    this.finished.forget(now);
    this.claimedFinished.forget(now);
  }
}

/** When the key's error-budget block ends, or null when it is not blocked now. */
function blockedAt(k: KeyState | undefined, now: number): number | null {
  const until = k?.blockedUntil;
  return until !== undefined && until > now ? until : null;
}
