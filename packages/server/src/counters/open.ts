import type { LimitCounters } from '../domain/ports/counters.js';
import { MemoryLimitCounters } from './memory.js';
import { openRedisCounters } from './redis.js';

/** Redis when configured (shared by every instance), else this process's memory. */
export async function openCounters(redisUrl: string | undefined): Promise<LimitCounters> {
  return redisUrl ? openRedisCounters(redisUrl) : new MemoryLimitCounters();
}
