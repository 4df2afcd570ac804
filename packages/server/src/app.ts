import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import type { LimitCounters } from './counters/types.js';
import { type Clock, systemClock } from './domain/clock.js';
import { registerAuth } from './http/auth.js';
import { registerPlumbing, requestId } from './http/plumbing.js';
import { apiKeyRoutes } from './routes/api-keys.js';
import { billingRoutes } from './routes/billing.js';
import { web3Routes } from './routes/web3.js';
import { createServices, type Services } from './services.js';
import type { Store } from './storage/types.js';

export interface AppDeps {
  config: Config;
  store: Store;
  counters: LimitCounters;
  serverSecret: Uint8Array;
  clock?: Clock;
  /** A pino logger; omitted means silent (tests). */
  logger?: FastifyBaseLogger;
}

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}

/** Request bodies of this API are small; anything larger is refused before it is buffered whole. */
export const BODY_LIMIT_BYTES = 64 * 1024;

/** A hop count becomes fastify's trust function: the nearest `n` proxies are trusted. */
function trustProxyOption(t: Config['trustProxy']): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof t === 'number' ? (_address, hop) => hop < t : t;
}

/** Builds the HTTP app from its dependencies. Reads no environment and does not listen. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const clock = deps.clock ?? systemClock;
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: trustProxyOption(deps.config.trustProxy),
    genReqId: requestId,
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true },
  });
  const services = createServices(deps.config, deps.store, clock, deps.serverSecret);
  app.decorate('services', services);

  registerPlumbing(app);
  registerAuth(app, services.keys);
  apiKeyRoutes(app, { ...services, counters: deps.counters, clock, config: deps.config });
  billingRoutes(app, services);
  web3Routes(app, {
    ...services,
    store: deps.store,
    counters: deps.counters,
    clock,
    serverSecret: deps.serverSecret,
    config: deps.config,
  });

  await app.ready();
  return app;
}
