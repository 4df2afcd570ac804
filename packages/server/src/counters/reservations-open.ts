import type { Reservations } from '../domain/ports/reservations.js';
import { MemoryReservations } from './reservations-memory.js';
import { openRedisReservations } from './reservations-redis.js';

/** Redis when configured (every instance shares holds and windows), else this process's memory. */
export async function openReservations(redisUrl: string | undefined, prefix?: string): Promise<Reservations> {
  return redisUrl ? openRedisReservations(redisUrl, prefix) : new MemoryReservations();
}
