import { Redis } from 'ioredis';
import type { ReadinessCheck } from '../http/health.js';
import type { Store } from '../storage/types.js';

export interface ReadinessProbes {
  checks: ReadinessCheck[];
  close(): Promise<void>;
}

/**
 * The database through the store's own pool (a reachable database is a migrated one: migrations run
 * before the server listens), and Redis through a connection of its own that never queues or
 * retries, so that /readyz answers at once whichever way Redis fails.
 */
export function readinessProbes(store: Store, redisUrl: string | undefined): ReadinessProbes {
  const checks: ReadinessCheck[] = [{ name: 'database', check: async () => void (await store.getSetting('readyz')) }];
  let redis: Redis | undefined;
  if (redisUrl) {
    const client = new Redis(redisUrl, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 1_000,
      retryStrategy: () => 1_000,
    });
    // Its failures are the probe's answer; the counters' own connection logs Redis going away.
    client.on('error', () => {});
    redis = client;
    checks.push({
      name: 'redis',
      check: async () => {
        if (client.status === 'wait') await client.connect();
        const pong = await client.ping();
        if (pong !== 'PONG') throw new Error(`unexpected answer ${pong}`);
      },
    });
  }
  return {
    checks,
    async close() {
      redis?.disconnect();
    },
  };
}
