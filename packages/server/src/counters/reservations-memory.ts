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

/**
 * Reservations of one process. Every method runs to completion without awaiting anything, so each
 * admission and settlement is atomic against every other in this process, as the Redis script is
 * across instances.
 */
export class MemoryReservations implements Reservations {
  readonly kind = 'memory' as const;
  private readonly windows = new Map<string, { start: number; used: number }>();
  private readonly usd = new Map<string, bigint>();
  private readonly diem = new Map<string, bigint>();
  private readonly keys = new Map<string, { usd: bigint; diem: bigint }>();
  private readonly generations = new Map<string, number>();
  /** Reservations held now. */
  private readonly records = new Map<string, Record>();
  private readonly finished = new Finished(FINISHED_MS);
  private readonly claimedFinished = new Finished(CLAIMED_FINISHED_MS);
  /** Per key, the times of its newest `threshold + 1` failures, oldest first. */
  private readonly failures = new Map<string, number[]>();
  private readonly blocks = new Map<string, number>();
  /** Windows that refused a request already (one breach per window). */
  private readonly refusedWindows = new Set<string>();
  private sweptAt = 0;

  private window(accountId: string, w: { name: string; windowMs: number }, now: number) {
    const start = windowStart(now, w.windowMs);
    const found = this.windows.get(`${accountId}:${w.name}`);
    return found && found.start === start ? found : { start, used: 0 };
  }

  private stateOf(accountId: string, keyId: string, money: MoneyAsk) {
    const usdAvailable = this.usd.get(accountId);
    const diemUsedOnDay = this.diem.get(`${accountId}:${money.day}`);
    const keyUsed = this.keys.get(`${accountId}:${keyId}:${money.keyPeriodStart}`);
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
    const until = await this.blockedUntil(r.accountId, r.keyId, r.now);
    if (until !== null) return { ok: false, reason: 'blocked', until };
    const found = this.stateOf(r.accountId, r.keyId, r.money);
    if (!found.state)
      return { ok: false, reason: 'missing', mirrors: found.missing, generation: this.generation(r.accountId) };
    const spendable = spendableOf(r.money, found.state);
    const current = r.windows.map((w) => this.window(r.accountId, w, r.now));
    const states = (extra: boolean): WindowState[] =>
      r.windows.map((w, i) => ({
        name: w.name,
        limit: w.limit,
        used: (current[i]?.used ?? 0) + (extra ? w.cost : 0),
        resetsAt: (current[i]?.start ?? 0) + w.windowMs,
      }));
    const failed = r.windows.findIndex((w, i) => (current[i]?.used ?? 0) + w.cost > w.limit);
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

    for (const [i, w] of r.windows.entries()) {
      const c = current[i] as { start: number; used: number };
      this.windows.set(`${r.accountId}:${w.name}`, { start: c.start, used: c.used + w.cost });
    }
    this.bump(this.usd, r.accountId, -hold.usd);
    this.bump(this.diem, `${r.accountId}:${r.money.day}`, hold.diem);
    const key = found.state.keyUsed;
    this.keys.set(`${r.accountId}:${r.keyId}:${r.money.keyPeriodStart}`, {
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
        windowStart: (current[i] as { start: number }).start,
        cost: w.cost,
      })),
      deadline: r.deadline,
      meta: r.meta,
    };
    this.records.set(r.id, { held, claimed: false });
    return { ok: true, reservation: held, windows: states(true), spendable };
  }

  async initMirrors(
    accountId: string,
    keyId: string,
    money: MoneyAsk,
    generation: number,
    facts: MirrorFacts,
  ): Promise<boolean> {
    if (this.generation(accountId) !== generation) return false;
    if (!this.usd.has(accountId)) this.usd.set(accountId, facts.usdBalance);
    const day = `${accountId}:${money.day}`;
    if (!this.diem.has(day)) this.diem.set(day, facts.diemSpentOnDay);
    const key = `${accountId}:${keyId}:${money.keyPeriodStart}`;
    if (!this.keys.has(key)) this.keys.set(key, { ...facts.keySpent });
    return true;
  }

  async finalize(f: FinalizeRequest): Promise<void> {
    const h = f.reservation;
    if (this.finished.has(h.id) || this.claimedFinished.has(h.id)) return;
    const record = this.records.get(h.id);
    // A record this process never held (it restarted): the mirrors were rebuilt from a database that may
    // lack this charge, so count it in (at worst twice: an account may then spend less, never more).
    const lost = record === undefined;
    // What was held is what the record says (as in the Redis adapter's script).
    const usdDelta = lost ? -f.charge.usd : record.held.usd - f.charge.usd;
    const diemDelta = lost ? f.charge.diem : f.charge.diem - record.held.diem;
    if (!this.adjust(this.usd, h.accountId, usdDelta)) this.bumpGeneration(h.accountId);
    if (!this.adjust(this.diem, `${h.accountId}:${h.day}`, diemDelta)) this.bumpGeneration(h.accountId);
    const keyName = `${h.accountId}:${h.keyId}:${h.keyPeriodStart}`;
    const key = this.keys.get(keyName);
    if (key) this.keys.set(keyName, { usd: key.usd - usdDelta, diem: key.diem + diemDelta });
    else this.bumpGeneration(h.accountId);
    if (!lost) {
      for (const w of h.windows) {
        const actual = f.actualCosts[w.name];
        const live = this.windows.get(`${h.accountId}:${w.name}`);
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
    const name = `${accountId}:${keyId}`;
    const times = this.failures.get(name) ?? [];
    times.push(now);
    if (times.length > budget.threshold + 1) times.shift();
    this.failures.set(name, times);
    if (!overBudget(times, budget, now) || (await this.blockedUntil(accountId, keyId, now)) !== null) return false;
    this.blocks.set(name, now + budget.blockMs);
    return true;
  }

  async blockedUntil(accountId: string, keyId: string, now: number): Promise<number | null> {
    const until = this.blocks.get(`${accountId}:${keyId}`);
    return until !== undefined && until > now ? until : null;
  }

  async peekWindows(accountId: string, windows: readonly WindowAsk[], now: number): Promise<WindowState[]> {
    return windows.map((w) => {
      const c = this.window(accountId, w, now);
      return { name: w.name, limit: w.limit, used: c.used, resetsAt: c.start + w.windowMs };
    });
  }

  async peekSpendable(accountId: string, keyId: string, money: MoneyAsk): Promise<Spendable | null> {
    const usdAvailable = this.usd.get(accountId);
    const diemUsedOnDay = this.diem.get(`${accountId}:${money.day}`);
    const keyUsed = this.keys.get(`${accountId}:${keyId}:${money.keyPeriodStart}`);
    if (usdAvailable === undefined || diemUsedOnDay === undefined) return null;
    if (keyUsed === undefined && (money.keyLimitUsd !== null || money.keyLimitDiem !== null)) return null;
    return spendableOf(money, { usdAvailable, diemUsedOnDay, keyUsed: keyUsed ?? { usd: 0n, diem: 0n } });
  }

  async adjustUsd(accountId: string, delta: bigint): Promise<void> {
    this.adjust(this.usd, accountId, delta);
  }

  async close(): Promise<void> {
    this.records.clear();
  }

  private generation(accountId: string): number {
    return this.generations.get(accountId) ?? 0;
  }

  private bumpGeneration(accountId: string): void {
    this.generations.set(accountId, this.generation(accountId) + 1);
  }

  private bump(map: Map<string, bigint>, name: string, delta: bigint): void {
    map.set(name, (map.get(name) ?? 0n) + delta);
  }

  /** Changes a mirror only if it exists; false when it does not. */
  private adjust(map: Map<string, bigint>, name: string, delta: bigint): boolean {
    const v = map.get(name);
    if (v === undefined) return false;
    map.set(name, v + delta);
    return true;
  }

  /** Memory follows the live accounts: finished windows, past days and old tombstones go now and then. */
  private sweep(now: number): void {
    if (now - this.sweptAt < 60_000) return;
    this.sweptAt = now;
    for (const [k, w] of this.windows) if (w.start + DAY_MS < now) this.windows.delete(k);
    for (const k of this.refusedWindows)
      if (Number(k.slice(k.lastIndexOf(':') + 1)) + 2 * DAY_MS < now) this.refusedWindows.delete(k);
    this.finished.forget(now);
    this.claimedFinished.forget(now);
    const today = Math.floor(now / DAY_MS);
    for (const k of this.diem.keys()) if (Number(k.slice(k.lastIndexOf(':') + 1)) < today - 1) this.diem.delete(k);
  }
}
