import { randomBytes } from 'node:crypto';
import type { Config } from '../packages/server/src/config.js';
import type { Reservations } from '../packages/server/src/domain/ports/reservations.js';
import type { Runtime } from '../packages/server/src/runtime.js';
import type { Store } from '../packages/server/src/storage/types.js';
import { buildRuntime, MemoryLimitCounters, systemClock } from './server.js';

/** The runtime every bench serves from: the real services over `store`, memory counters, the system clock. */
export function benchRuntime(config: Config, store: Store, reservations?: Reservations): Runtime {
  return buildRuntime({
    config,
    store,
    counters: new MemoryLimitCounters(),
    clock: systemClock,
    serverSecret: randomBytes(32),
    ...(reservations ? { reservations } : {}),
  });
}
