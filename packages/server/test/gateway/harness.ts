import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Kysely } from 'kysely';
import type { UpstreamHandle } from '../../../../tests/support/upstream/server.js';
import { spawnUpstream } from '../../../../tests/support/upstream/spawn.js';
import { buildApp } from '../../src/app.js';
import { type ConfigFile, resolveConfig } from '../../src/config.js';
import { MemoryLimitCounters } from '../../src/counters/memory.js';
import { MemoryReservations } from '../../src/counters/reservations-memory.js';
import type { GatewayService } from '../../src/domain/gateway/admission.js';
import type { Reservations } from '../../src/domain/ports/reservations.js';
import { buildGateway, buildRuntime } from '../../src/runtime.js';
import type { Services } from '../../src/services.js';
import type { LedgerTables } from '../../src/storage/ledger-store.js';
import type { Store } from '../../src/storage/types.js';
import { ledgerDb } from '../gateway-engine/engine.js';
import { bearer, inferenceInput, newAccount, SERVER_SECRET, type TestAccount } from '../support/app.js';
import { ManualClock } from '../support/clock.js';
import { checkConformance } from '../support/openapi.js';
import type { StoreFactory } from '../support/stores.js';

/** The catalog of the gateway tests: prices in whole micro-USD per token so that costs are easy to read. */
export const CATALOG: NonNullable<ConfigFile['models']> = [
  {
    id: 'chat',
    upstreamModel: 'upstream-chat',
    type: 'text',
    privacy: 'private',
    pricing: { inputUsdPerMTok: 1, outputUsdPerMTok: 2 },
  },
  { id: 'same', type: 'text', privacy: 'private', pricing: { inputUsdPerMTok: 1, outputUsdPerMTok: 2 } },
  { id: 'anon', type: 'text', privacy: 'anonymous', pricing: { inputUsdPerMTok: 1, outputUsdPerMTok: 2 } },
  { id: 'tee', type: 'text', privacy: 'tee', pricing: { inputUsdPerMTok: 1, outputUsdPerMTok: 2 } },
  { id: 'embed', type: 'embedding', privacy: 'private', pricing: { inputUsdPerMTok: 1, outputUsdPerMTok: 0 } },
  { id: 'anon-embed', type: 'embedding', privacy: 'anonymous', pricing: { inputUsdPerMTok: 1, outputUsdPerMTok: 0 } },
  { id: 'image', type: 'image', privacy: 'private', pricing: { inputUsdPerMTok: 1, outputUsdPerMTok: 1 } },
];

export interface Gateway {
  app: FastifyInstance;
  services: Services;
  store: Store;
  /** Where the store lives: its SQLite file or its PostgreSQL schema (another instance may open it too). */
  location: { path?: string; schema?: string };
  gateway: GatewayService;
  db: Kysely<LedgerTables>;
  clock: ManualClock;
  upstream: UpstreamHandle;
  /** An account with `usd` of balance and its ADMIN key. */
  account(usd?: number): Promise<TestAccount>;
  /** An INFERENCE key of the account; its secret. */
  key(accountId: string, over?: Parameters<typeof inferenceInput>[0]): Promise<string>;
  close(): Promise<void>;
}

export interface GatewayOptions {
  config?: ConfigFile;
  /** An upstream shared by several harnesses; by default each starts its own. */
  upstream?: UpstreamHandle;
  /** Omit the upstream key (the 503 path). */
  noUpstreamKey?: boolean;
  reservations?: Reservations;
}

/** The real app with a real gateway engine over `factory`'s store, pointed at the test upstream. */
export async function startGateway(factory: StoreFactory, options: GatewayOptions = {}): Promise<Gateway> {
  const upstream = options.upstream ?? (await spawnUpstream());
  const opened = await factory.open();
  const clock = new ManualClock();
  const file: ConfigFile = {
    models: CATALOG,
    ...options.config,
    upstream: { url: upstream.url, timeoutMs: 5_000, ...options.config?.upstream },
  };
  const env = options.noUpstreamKey ? {} : { VENICE_UPSTREAM_API_KEY: upstream.apiKey };
  const config = resolveConfig(file, env);
  const runtime = buildRuntime({
    config,
    store: opened.store,
    counters: new MemoryLimitCounters(),
    clock,
    serverSecret: SERVER_SECRET,
    reservations: options.reservations ?? new MemoryReservations(),
  });
  // A second handle on the same database, for the assertions on the ledger.
  const db = ledgerDb(opened);
  const gateway = buildGateway(runtime);
  const app = checkConformance(await buildApp({ ...runtime, gateway }));
  return {
    app,
    services: runtime.services,
    store: opened.store,
    location: { ...(opened.path ? { path: opened.path } : {}), ...(opened.schema ? { schema: opened.schema } : {}) },
    gateway,
    db,
    clock,
    upstream,
    async account(usd = 10) {
      const acct = await newAccount(runtime);
      if (usd > 0) await runtime.services.accounts.creditUsd(acct.accountId, BigInt(Math.round(usd * 1e6)));
      return acct;
    },
    async key(accountId, over = {}) {
      return (await runtime.services.keys.create(accountId, inferenceInput(over))).secret;
    },
    async close() {
      await app.close();
      await gateway.flush();
      await db.destroy();
      await opened.dispose();
      if (!options.upstream) await upstream.close();
    },
  };
}

export const chatBody = (over: Record<string, unknown> = {}) => ({
  model: 'chat',
  messages: [{ role: 'user', content: 'hello there' }],
  venice_parameters: { include_venice_system_prompt: false },
  ...over,
});

export const post = (
  app: FastifyInstance,
  url: string,
  secret: string | undefined,
  payload: unknown,
): Promise<LightMyRequestResponse> =>
  app.inject({
    method: 'POST',
    url: `/api/v1${url}`,
    headers: secret ? bearer(secret) : {},
    payload: payload as object,
  });
