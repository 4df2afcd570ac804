import { MemoryReservations } from '../../src/counters/reservations-memory.js';
import type { Reservations } from '../../src/domain/ports/reservations.js';

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

export const reservationFactories: ReservationsFactory[] = [memoryReservations];
