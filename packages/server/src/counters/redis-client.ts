import { Redis } from 'ioredis';
import { AppError } from '../domain/errors.js';

import { stderrWarning, type Warn } from '../stderr-warning.js';

export type { Warn };

/** What a request that needs Redis gets while Redis is unreachable: at once, never after a queue's timeout. */
export const redisUnavailable = (cause?: unknown) =>
  new AppError('UNAVAILABLE', 'Rate limiting is temporarily unavailable', { cause });

/**
 * A client that fails fast while Redis is unreachable (no offline queue), keeps reconnecting in
 * the background, and says so twice: one warning when Redis goes, one when it is back, however
 * many errors ioredis sees in between (it would otherwise print "[ioredis] Unhandled error event"
 * every second).
 */
export function resilientRedis(url: string, warn: Warn = stderrWarning): Redis {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
    // The commands of one tick (every admission and settlement in flight) leave in one write.
    enableAutoPipelining: true,
  });
  const where = (() => {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 6379}`;
  })();
  let down = false;
  redis.on('error', (err: Error & { code?: string }) => {
    if (down || redis.status === 'ready') return;
    down = true;
    warn(
      { redis: where, err: { message: err.message, code: err.code } },
      'Redis unreachable; answering 503 until it is back',
    );
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    warn({ redis: where }, 'Redis reachable again');
  });
  return redis;
}

/** Runs a Redis call, turning "not connected" and its failures into the 503 of `redisUnavailable`. */
export async function whileReachable<T>(redis: Redis, call: () => Promise<T>): Promise<T> {
  // Between connections ioredis would queue or retry; a request must not wait on that.
  if (redis.status === 'reconnecting' || redis.status === 'close' || redis.status === 'end') throw redisUnavailable();
  try {
    return await call();
  } catch (e) {
    throw redisUnavailable(e);
  }
}
