import type { Redis } from 'ioredis';
import {
  type ConsumeResult,
  type LimitCounters,
  previousWeight,
  retryAfter,
  type WindowDemand,
  type WindowRef,
  type WindowState,
  windowStart,
} from '../domain/ports/counters.js';
import { resilientRedis, type Warn, whileReachable } from './redis-client.js';

/**
 * All-or-nothing check-and-count of several windows in one round trip. KEYS are, per demand, its
 * current and its previous window; ARGV holds, per demand, limit, cost, a time to live (ms) reaching
 * past the window's use, and the previous window's weight in millionths (0 for a fixed window).
 * Returns {0} when counted, or {i, current, previous} for the first demand i (1-based) that would
 * pass its limit.
 */
const CONSUME = `
for i = 1, #KEYS / 2 do
  local current = tonumber(redis.call('GET', KEYS[i * 2 - 1]) or '0')
  local previous = 0
  local weight = tonumber(ARGV[i * 4])
  if weight > 0 then previous = tonumber(redis.call('GET', KEYS[i * 2]) or '0') end
  local used = current + math.ceil(previous * weight / 1000000)
  if used + tonumber(ARGV[i * 4 - 2]) > tonumber(ARGV[i * 4 - 3]) then return {i, current, previous} end
end
for i = 1, #KEYS / 2 do
  redis.call('INCRBY', KEYS[i * 2 - 1], ARGV[i * 4 - 2])
  redis.call('PEXPIRE', KEYS[i * 2 - 1], ARGV[i * 4 - 1])
end
return {0}
`;

/** Counters shared by every instance through Redis. */
export class RedisLimitCounters implements LimitCounters {
  readonly kind = 'redis' as const;

  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'vk:',
  ) {
    redis.defineCommand('vkConsume', { lua: CONSUME });
  }

  /** Keys carry their window start, so a new window is a new key and old ones expire by themselves. */
  private keyOf(ref: WindowRef, now: number): string {
    return `${this.prefix}${ref.key}:${windowStart(now, ref.windowMs)}`;
  }

  async consume(demands: readonly WindowDemand[], now: number): Promise<ConsumeResult> {
    if (demands.length === 0) return { ok: true };
    const keys = demands.flatMap((d) => [this.keyOf(d, now), this.keyOf(d, now - d.windowMs)]);
    // Relative expiry: the domain clock need not agree with Redis's own clock. A sliding window's
    // count is read again as the previous one during the whole next window.
    const args = demands.flatMap((d) => {
      const left = windowStart(now, d.windowMs) + d.windowMs - now;
      const ttl = left + (d.sliding ? d.windowMs : 0) + 1_000;
      return [d.limit, d.cost, ttl, d.sliding ? previousWeight(now, d.windowMs) : 0];
    });
    const script = (this.redis as unknown as Record<string, (...a: unknown[]) => Promise<number[]>>).vkConsume;
    const [failed = 0, current = 0, previous = 0] = await whileReachable(this.redis, async () =>
      script ? script.call(this.redis, keys.length, ...keys, ...args) : [],
    );
    if (failed === 0) return { ok: true };
    const d = demands[failed - 1] as WindowDemand;
    return { ok: false, failed: failed - 1, retryAfterMs: retryAfter(d, now, current, previous) };
  }

  async peek(refs: readonly WindowRef[], now: number): Promise<WindowState[]> {
    if (refs.length === 0) return [];
    const values = await whileReachable(this.redis, () => this.redis.mget(...refs.map((r) => this.keyOf(r, now))));
    return refs.map((r, i) => ({
      used: Number(values[i] ?? 0),
      resetsAt: windowStart(now, r.windowMs) + r.windowMs,
    }));
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }
}

export async function openRedisCounters(url: string, prefix?: string, warn?: Warn): Promise<RedisLimitCounters> {
  const redis = resilientRedis(url, warn);
  await redis.connect();
  return new RedisLimitCounters(redis, prefix);
}
