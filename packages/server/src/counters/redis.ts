import { Redis } from 'ioredis';
import {
  type ConsumeResult,
  type LimitCounters,
  type WindowDemand,
  type WindowRef,
  type WindowState,
  windowStart,
} from '../domain/ports/counters.js';

/**
 * All-or-nothing check-and-count of several windows in one round trip. KEYS are the window keys;
 * ARGV holds, per key, limit, cost and a time to live (ms) reaching past the window's end. Returns 0 when counted, or the
 * 1-based index of the first window that would pass its limit.
 */
const CONSUME = `
for i = 1, #KEYS do
  local used = tonumber(redis.call('GET', KEYS[i]) or '0')
  if used + tonumber(ARGV[i * 3 - 1]) > tonumber(ARGV[i * 3 - 2]) then return i end
end
for i = 1, #KEYS do
  redis.call('INCRBY', KEYS[i], ARGV[i * 3 - 1])
  redis.call('PEXPIRE', KEYS[i], ARGV[i * 3])
end
return 0
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
    const keys = demands.map((d) => this.keyOf(d, now));
    // Relative expiry: the domain clock need not agree with Redis's own clock.
    const args = demands.flatMap((d) => [d.limit, d.cost, windowStart(now, d.windowMs) + d.windowMs - now + 1_000]);
    const failed = (await (this.redis as unknown as Record<string, (...a: unknown[]) => Promise<number>>).vkConsume?.(
      keys.length,
      ...keys,
      ...args,
    )) as number;
    if (failed === 0) return { ok: true };
    const d = demands[failed - 1] as WindowDemand;
    return { ok: false, failed: failed - 1, retryAfterMs: windowStart(now, d.windowMs) + d.windowMs - now };
  }

  async peek(refs: readonly WindowRef[], now: number): Promise<WindowState[]> {
    if (refs.length === 0) return [];
    const values = await this.redis.mget(...refs.map((r) => this.keyOf(r, now)));
    return refs.map((r, i) => ({
      used: Number(values[i] ?? 0),
      resetsAt: windowStart(now, r.windowMs) + r.windowMs,
    }));
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }
}

export async function openRedisCounters(url: string, prefix?: string): Promise<RedisLimitCounters> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: true });
  await redis.connect();
  return new RedisLimitCounters(redis, prefix);
}
