import type { Config } from './config.js';
import { openCounters } from './counters/open.js';
import { type Clock, systemClock } from './domain/clock.js';
import type { LimitCounters } from './domain/ports/counters.js';
import { createServices, type Services } from './services.js';
import { type DatabaseLocation, explainOpenFailure, locateDatabase, prepareSqlite } from './startup/database.js';
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
}

/** The services over already opened adapters (tests bring their own store, counters and clock). */
export function buildRuntime(parts: RuntimeParts): Runtime {
  const { config, store, counters, clock, serverSecret } = parts;
  return {
    ...parts,
    services: createServices(config, store, counters, clock, serverSecret),
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
}

export interface OpenOptions {
  clock?: Clock;
  /** false: in-memory counters whatever REDIS_URL says (the operator never admits requests). */
  sharedCounters?: boolean;
  /** Refuse a SQLite database that does not exist yet (the operator without --init). */
  mustExist?: boolean;
}

/** Opens what the configuration names; a failure the operator can fix is a StartupError naming it. */
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
  let counters: LimitCounters | undefined;
  try {
    const { secret, source } = await resolveServerSecret(config.secret, database, store);
    counters = await openCounters(options.sharedCounters === false ? undefined : config.redisUrl);
    const runtime = buildRuntime({
      config,
      store,
      counters,
      clock: options.clock ?? systemClock,
      serverSecret: secret,
    });
    return { ...runtime, database, secretSource: source };
  } catch (e) {
    await counters?.close();
    await store.close();
    throw e;
  }
}
