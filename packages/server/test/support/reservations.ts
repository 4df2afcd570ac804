import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { MemoryReservations } from '../../src/counters/reservations-memory.js';
import { openRedisReservations } from '../../src/counters/reservations-redis.js';
import type { Reservations } from '../../src/domain/ports/reservations.js';
import { REDIS_URL, serviceAvailable } from './stores.js';

export const redisReachable = (async () => {
  const r = new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 2_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await r.connect();
    await r.ping();
    return true;
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
})();

export interface ReservationsFactory {
  name: 'memory' | 'redis';
  available(): Promise<boolean>;
  /** A fresh adapter of its own (Redis: under a prefix of its own in the shared server). */
  open(): Promise<Reservations>;
}

export const memoryReservations: ReservationsFactory = {
  name: 'memory',
  available: async () => true,
  open: async () => new MemoryReservations(),
};

export const redisReservations: ReservationsFactory = {
  name: 'redis',
  available: () => serviceAvailable('Redis', redisReachable),
  // A prefix per adapter keeps parallel test files apart in the one shared Redis.
  open: () => openRedisReservations(REDIS_URL, `test:${randomUUID()}:`),
};

export const reservationFactories: ReservationsFactory[] = [memoryReservations, redisReservations];
