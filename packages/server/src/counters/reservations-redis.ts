import type { Redis } from 'ioredis';
import { spendableOf } from '../domain/gateway/hold.js';
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
import { resilientRedis, type Warn } from './redis-client.js';
import { ADJUST_USD, CLAIM_EXPIRED, FINALIZE, INIT_MIRRORS, RECORD_FAILURE, RESERVE } from './reservations-lua.js';

const DAY_MS = 86_400_000;
/** At most this many settlements per script call, so that one call holds Redis for a millisecond or so. */
const FINALIZE_BATCH = 64;
const windowStart = (now: number, ms: number) => Math.floor(now / ms) * ms;

type Reply = (string | number)[];
type Scripts = Record<
  'vkReserve' | 'vkInitMirrors' | 'vkFinalize' | 'vkClaimExpired' | 'vkRecordFailure' | 'vkAdjustUsd',
  (...args: (string | number)[]) => Promise<unknown>
>;

/** What the reservation record keeps beside its amounts, for a sweeper on another instance. */
type Description = Omit<HeldReservation, 'id' | 'usd' | 'diem'>;

/**
 * Reservations shared by every instance through Redis: one script per admission and one per batch of
 * settlements, each a single round trip.
 */
export class RedisReservations implements Reservations {
  readonly kind = 'redis' as const;
  private readonly scripts: Scripts;
  /** Finalizes of this tick, not sent yet. */
  private readonly finalizing: {
    keys: string[];
    args: (string | number)[];
    resolve(): void;
    reject(error: unknown): void;
  }[] = [];

  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'vk:',
  ) {
    redis.defineCommand('vkReserve', { lua: RESERVE });
    redis.defineCommand('vkInitMirrors', { lua: INIT_MIRRORS, numberOfKeys: 4 });
    redis.defineCommand('vkFinalize', { lua: FINALIZE });
    redis.defineCommand('vkClaimExpired', { lua: CLAIM_EXPIRED, numberOfKeys: 2 });
    redis.defineCommand('vkRecordFailure', { lua: RECORD_FAILURE, numberOfKeys: 2 });
    redis.defineCommand('vkAdjustUsd', { lua: ADJUST_USD, numberOfKeys: 1 });
    this.scripts = redis as unknown as Scripts;
  }

  private account(accountId: string): string {
    return `${this.prefix}{a:${accountId}}`;
  }

  private mirrorKeys(accountId: string, keyId: string, day: number, keyPeriodStart: number) {
    const a = this.account(accountId);
    return { gen: `${a}:gen`, usd: `${a}:usd`, diem: `${a}:diem:${day}`, key: `${a}:k:${keyId}:${keyPeriodStart}` };
  }

  private windowKey(accountId: string, name: string, start: number): string {
    return `${this.account(accountId)}:w:${name}:${start}`;
  }

  private get sweepIndex(): string {
    return `${this.prefix}{sweep}:accounts`;
  }

  async reserve(r: ReserveRequest): Promise<ReserveOutcome> {
    const m = this.mirrorKeys(r.accountId, r.keyId, r.money.day, r.money.keyPeriodStart);
    const a = this.account(r.accountId);
    const starts = r.windows.map((w) => windowStart(r.now, w.windowMs));
    const description: Description = {
      accountId: r.accountId,
      keyId: r.keyId,
      day: r.money.day,
      keyPeriodStart: r.money.keyPeriodStart,
      windows: r.windows.map((w, i) => ({
        name: w.name,
        windowMs: w.windowMs,
        windowStart: starts[i] as number,
        cost: w.cost,
      })),
      deadline: r.deadline,
      meta: r.meta,
    };
    const keys = [
      m.gen,
      `${a}:eb:${r.keyId}:block`,
      m.usd,
      m.diem,
      m.key,
      `${a}:res:${r.id}`,
      `${a}:dl`,
      this.sweepIndex,
      ...r.windows.map((w, i) => this.windowKey(r.accountId, w.name, starts[i] as number)),
    ];
    const args = [
      r.now,
      r.money.amount.toString(),
      r.money.diemAllocation.toString(),
      (r.money.keyLimitUsd ?? -1n).toString(),
      (r.money.keyLimitDiem ?? -1n).toString(),
      r.deadline,
      r.id,
      JSON.stringify(description),
      r.deadline - r.now + CLAIMED_FINISHED_MS,
      r.accountId,
      // Relative expiry: the domain clock need not agree with Redis's own.
      ...r.windows.flatMap((w, i) => [w.limit, w.cost, (starts[i] as number) + w.windowMs - r.now + 60_000]),
    ];
    const reply = (await this.scripts.vkReserve(keys.length, ...keys, ...args)) as Reply;
    return this.outcome(r, reply, description, starts);
  }

  private outcome(r: ReserveRequest, reply: Reply, description: Description, starts: number[]): ReserveOutcome {
    const [tag, ...rest] = reply.map(String);
    if (tag === 'blocked') return { ok: false, reason: 'blocked', until: Number(rest[0]) };
    if (tag === 'missing')
      return { ok: false, reason: 'missing', generation: Number(rest[0]), mirrors: rest.slice(1) as MirrorName[] };
    const states = (used: string[]): WindowState[] =>
      r.windows.map((w, i) => ({
        name: w.name,
        limit: w.limit,
        used: Number(used[i]),
        resetsAt: (starts[i] as number) + w.windowMs,
      }));
    const [first, second, third, fourth, ...used] = rest as [string, string, string, string, ...string[]];
    if (tag === 'ok') {
      return {
        ok: true,
        reservation: { ...description, id: r.id, usd: BigInt(first), diem: BigInt(second) },
        spendable: { usd: BigInt(third), diem: BigInt(fourth) },
        windows: states(used),
      };
    }
    // Refusals: {reason, failed window, spendable usd, spendable diem, used...}.
    const spendable = { usd: BigInt(second), diem: BigInt(third) };
    const windows = states([fourth, ...used]);
    if (tag === 'window' || tag === 'window_again') {
      const failed = Number(first) - 1;
      const w = r.windows[failed] as WindowAsk;
      const retryAfterMs = (starts[failed] as number) + w.windowMs - r.now;
      return { ok: false, reason: 'window', failed, firstRefusal: tag === 'window', retryAfterMs, windows, spendable };
    }
    return { ok: false, reason: tag as 'key_usd' | 'key_diem' | 'balance', windows, spendable };
  }

  async initMirrors(
    accountId: string,
    keyId: string,
    money: MoneyAsk,
    generation: number,
    facts: MirrorFacts,
    now: number,
  ): Promise<boolean> {
    const m = this.mirrorKeys(accountId, keyId, money.day, money.keyPeriodStart);
    const dayTtl = (money.day + 2) * DAY_MS - now;
    const keyTtl = money.keyPeriodEndsAt === null ? 0 : money.keyPeriodEndsAt - now + DAY_MS;
    const done = await this.scripts.vkInitMirrors(
      m.gen,
      m.usd,
      m.diem,
      m.key,
      String(generation),
      facts.usdBalance.toString(),
      facts.diemSpentOnDay.toString(),
      facts.keySpent.usd.toString(),
      facts.keySpent.diem.toString(),
      dayTtl,
      keyTtl,
    );
    return Number(done) === 1;
  }

  /**
   * Queued, and sent with every other finalize of this tick in one script: the settlements of a ledger
   * batch arrive together, and one call costs Redis and this event loop far less than one per request.
   */
  finalize(f: FinalizeRequest): Promise<void> {
    const h = f.reservation;
    const m = this.mirrorKeys(h.accountId, h.keyId, h.day, h.keyPeriodStart);
    const a = this.account(h.accountId);
    const corrections = h.windows.filter((w) => f.actualCosts[w.name] !== undefined);
    const keys = [
      m.gen,
      m.usd,
      m.diem,
      m.key,
      `${a}:res:${h.id}`,
      `${a}:dl`,
      ...corrections.map((w) => this.windowKey(h.accountId, w.name, w.windowStart)),
    ];
    const args = [
      h.id,
      h.usd.toString(),
      h.diem.toString(),
      f.charge.usd.toString(),
      f.charge.diem.toString(),
      FINISHED_MS,
      CLAIMED_FINISHED_MS,
      ...corrections.map((w) => (f.actualCosts[w.name] as number) - w.cost),
    ];
    return new Promise((resolve, reject) => {
      if (this.finalizing.push({ keys, args, resolve, reject }) === 1) process.nextTick(() => this.sendFinalizes());
    });
  }

  private sendFinalizes(): void {
    while (this.finalizing.length > 0) this.sendFinalizeBatch(this.finalizing.splice(0, FINALIZE_BATCH));
  }

  private sendFinalizeBatch(batch: typeof this.finalizing): void {
    const keys = batch.flatMap((b) => b.keys);
    const args = [batch.length, ...batch.map((b) => b.keys.length), ...batch.flatMap((b) => b.args)];
    this.scripts.vkFinalize(keys.length, ...keys, ...args).then(
      () => {
        for (const b of batch) b.resolve();
      },
      (error: unknown) => {
        for (const b of batch) b.reject(error);
      },
    );
  }

  async claimExpired(now: number, limit: number, claimMs: number): Promise<HeldReservation[]> {
    const accounts = await this.redis.zrangebyscore(this.sweepIndex, '-inf', now, 'LIMIT', 0, limit);
    const claimed: HeldReservation[] = [];
    for (const accountId of accounts) {
      if (claimed.length >= limit) break;
      const a = this.account(accountId);
      const reply = (await this.scripts.vkClaimExpired(
        `${a}:dl`,
        this.sweepIndex,
        now,
        limit - claimed.length,
        claimMs,
        `${a}:res:`,
        accountId,
      )) as string[];
      for (let i = 0; i + 3 < reply.length; i += 4) {
        const description = JSON.parse(reply[i + 3] as string) as Description;
        claimed.push({
          ...description,
          id: reply[i] as string,
          usd: BigInt(reply[i + 1] as string),
          diem: BigInt(reply[i + 2] as string),
          deadline: now + claimMs,
        });
      }
    }
    return claimed;
  }

  async recordFailure(accountId: string, keyId: string, budget: ErrorBudget, now: number): Promise<boolean> {
    const a = this.account(accountId);
    const started = await this.scripts.vkRecordFailure(
      `${a}:eb:${keyId}:log`,
      `${a}:eb:${keyId}:block`,
      now,
      budget.threshold,
      budget.windowMs,
      budget.blockMs,
    );
    return Number(started) === 1;
  }

  async blockedUntil(accountId: string, keyId: string, now: number): Promise<number | null> {
    const until = await this.redis.get(`${this.account(accountId)}:eb:${keyId}:block`);
    return until !== null && Number(until) > now ? Number(until) : null;
  }

  async peekWindows(accountId: string, windows: readonly WindowAsk[], now: number): Promise<WindowState[]> {
    if (windows.length === 0) return [];
    const starts = windows.map((w) => windowStart(now, w.windowMs));
    const values = await this.redis.mget(
      ...windows.map((w, i) => this.windowKey(accountId, w.name, starts[i] as number)),
    );
    return windows.map((w, i) => ({
      name: w.name,
      limit: w.limit,
      used: Number(values[i] ?? 0),
      resetsAt: (starts[i] as number) + w.windowMs,
    }));
  }

  async peekSpendable(accountId: string, keyId: string, money: MoneyAsk): Promise<Spendable | null> {
    const m = this.mirrorKeys(accountId, keyId, money.day, money.keyPeriodStart);
    const results = await this.redis.pipeline().get(m.usd).get(m.diem).hmget(m.key, 'usd', 'diem').exec();
    const [usd, diem, key] = (results ?? []).map(([error, value]) => {
      if (error) throw error;
      return value;
    }) as [string | null, string | null, (string | null)[]];
    if (usd === null || diem === null) return null;
    const [keyUsd, keyDiem] = key;
    if ((keyUsd ?? null) === null && (money.keyLimitUsd !== null || money.keyLimitDiem !== null)) return null;
    return spendableOf(money, {
      usdAvailable: BigInt(usd),
      diemUsedOnDay: BigInt(diem),
      keyUsed: { usd: BigInt(keyUsd ?? 0), diem: BigInt(keyDiem ?? 0) },
    });
  }

  async adjustUsd(accountId: string, delta: bigint): Promise<void> {
    await this.scripts.vkAdjustUsd(`${this.account(accountId)}:usd`, delta.toString());
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** Over the shared fail-fast client: while Redis is down every call fails at once and the gateway answers 503. */
export async function openRedisReservations(url: string, prefix?: string, warn?: Warn): Promise<RedisReservations> {
  const redis = resilientRedis(url, warn);
  await redis.connect();
  return new RedisReservations(redis, prefix);
}
