import type { Config } from './config.js';
import { openCounters } from './counters/open.js';
import { MemoryReservations } from './counters/reservations-memory.js';
import { openRedisReservations } from './counters/reservations-redis.js';
import { type Clock, systemClock } from './domain/clock.js';
import { GatewayService } from './domain/gateway/admission.js';
import type { GatewayLog } from './domain/gateway/log.js';
import { pruneExpired } from './domain/housekeeping.js';
import type { LimitCounters } from './domain/ports/counters.js';
import { type Metrics, NO_METRICS } from './domain/ports/metrics.js';
import type { Reservations } from './domain/ports/reservations.js';
import { formatMicros } from './http/format.js';
import { createServices, type Services } from './services.js';
import {
  checkRedisReachable,
  type DatabaseLocation,
  explainOpenFailure,
  locateDatabase,
  prepareSqlite,
} from './startup/database.js';
import { checkSecretConfigured, resolveServerSecret } from './startup/secret.js';
import { openStore } from './storage/open.js';
import type { Store } from './storage/types.js';

/** What a process of this server works with: the one builder behind main.ts, the operator command and tests. */
export interface Runtime {
  config: Config;
  clock: Clock;
  store: Store;
  counters: LimitCounters;
  serverSecret: Uint8Array;
  /** The gateway's holds and windows: the one instance admission counts in and every read looks at. */
  reservations: Reservations;
  services: Services;
  /** Closes the counters and the store. */
  close(): Promise<void>;
}

export interface RuntimeParts {
  config: Config;
  store: Store;
  counters: LimitCounters;
  clock: Clock;
  serverSecret: Uint8Array;
  /** Earlier secrets a rotation still accepts (VENICE_KEYS_SECRET_ACCEPTED); default none. */
  acceptedSecrets?: readonly Uint8Array[];
  /** Default: this process's memory (tests without a gateway of their own). */
  reservations?: Reservations;
  metrics?: Metrics;
}

/** The services over already opened adapters (tests bring their own store, counters and clock). */
export function buildRuntime(parts: RuntimeParts): Runtime {
  const { config, store, counters, clock, serverSecret } = parts;
  const reservations = parts.reservations ?? new MemoryReservations();
  return {
    ...parts,
    reservations,
    services: createServices(
      config,
      store,
      counters,
      clock,
      { current: serverSecret, accepted: parts.acceptedSecrets ?? [] },
      parts.metrics ?? NO_METRICS,
      reservations,
    ),
    async close() {
      await counters.close();
      await store.close();
    },
  };
}

export interface OpenedRuntime extends Runtime {
  /** Where the data lives (absolute SQLite path, or PostgreSQL host:port/database), for the start line. */
  database: DatabaseLocation;
  /** Where the server secret came from: VENICE_KEYS_SECRET, or the path of its file. */
  secretSource: string;
  /** Admission and settlement of inference requests. */
  gateway: GatewayService;
  metrics: Metrics;
}

export interface OpenOptions {
  clock?: Clock;
  /** Refuse a SQLite database that does not exist yet (the operator without --init). */
  mustExist?: boolean;
  /** false for the operator: no background work (the sweep of expired reservations belongs to servers). */
  serving?: boolean;
  metrics?: Metrics;
  log?: GatewayLog;
}

const SILENT: GatewayLog = { warn() {}, error() {} };

/** A balance header shows whole hundredths of a cent at most: never more than admission would allow. */
const balanceText = (micros: bigint) => formatMicros(micros - (micros % 100n), 4);

/** The gateway as every process builds it (tests and benches too), over the runtime's reservations. */
export function buildGateway(parts: {
  config: Config;
  store: Store;
  reservations: Reservations;
  clock: Clock;
  metrics?: Metrics;
  log?: GatewayLog | undefined;
}): GatewayService {
  const { config, store, reservations, clock } = parts;
  return new GatewayService(
    reservations,
    store.ledger,
    store,
    clock,
    { upstreamTimeoutMs: config.upstream.timeoutMs, balanceText, metrics: parts.metrics ?? NO_METRICS },
    parts.log ?? SILENT,
  );
}

const REPLAY_PRUNE_EVERY_MS = 10 * 60_000;

/**
 * Idempotency replays hold sealed secrets and are useless after their 24 h: delete them at start and
 * then every few minutes, so that a copy of the database holds at most a day of them. The same pass
 * prunes the other tables that only grow (used web3 tokens, old breaches: domain/housekeeping.ts).
 */
function pruneReplays(store: Store, clock: Clock, log: GatewayLog): () => void {
  const prune = () =>
    pruneExpired(store, clock.now()).catch((e) =>
      log.warn({ err: e instanceof Error ? e.message : String(e) }, 'replay pruning failed'),
    );
  void prune();
  const timer = setInterval(prune, REPLAY_PRUNE_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/** The counters and reservations every instance shares: Redis when configured, else this process's memory. */
async function openShared(redisUrl: string | undefined, opened: Array<{ close(): Promise<void> }>) {
  if (redisUrl) await checkRedisReachable(redisUrl);
  const counters = await openCounters(redisUrl);
  opened.push(counters);
  const reservations = redisUrl ? await openRedisReservations(redisUrl) : new MemoryReservations();
  opened.push(reservations);
  return { counters, reservations };
}

/**
 * Opens what the configuration names; a failure the operator can fix is a StartupError naming it.
 * Redis (when configured) holds the counters, the reservations and the balance mirror of every
 * instance, so the operator opens it too: its credits must move the mirror as well as the database.
 */
export async function openRuntime(config: Config, options: OpenOptions = {}): Promise<OpenedRuntime> {
  const database = locateDatabase(config.databaseUrl);
  checkSecretConfigured(config.secret, database);
  if (database.kind === 'sqlite') prepareSqlite(database, options.mustExist ?? false);
  let store: Store;
  try {
    store = await openStore(config.databaseUrl);
  } catch (e) {
    throw explainOpenFailure(database, e);
  }
  const opened: Array<{ close(): Promise<void> }> = [];
  const closeOpened = async () => {
    for (const part of opened.reverse()) await part.close();
    await store.close();
  };
  try {
    const { secret, source } = await resolveServerSecret(config.secret, database, store);
    const { counters, reservations } = await openShared(config.redisUrl, opened);
    const clock = options.clock ?? systemClock;
    const metrics = options.metrics ?? NO_METRICS;
    const acceptedSecrets = config.acceptedSecrets.map((s) => new TextEncoder().encode(s));
    const runtime = buildRuntime({
      config,
      store,
      counters,
      clock,
      serverSecret: secret,
      acceptedSecrets,
      reservations,
      metrics,
    });
    const gateway = buildGateway({ config, store, reservations, clock, metrics, log: options.log });
    const stopSweeper = options.serving === false ? () => {} : gateway.startSweeper();
    const stopPruning = options.serving === false ? () => {} : pruneReplays(store, clock, options.log ?? SILENT);
    return {
      ...runtime,
      database,
      secretSource: source,
      reservations,
      gateway,
      metrics,
      async close() {
        stopSweeper();
        stopPruning();
        // Settlements already submitted become durable before the store closes.
        await gateway.flush();
        await closeOpened();
      },
    };
  } catch (e) {
    await closeOpened();
    throw e;
  }
}
