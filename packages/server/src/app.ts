import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { type Clock, systemClock } from './domain/clock.js';
import type { LimitCounters } from './domain/ports/counters.js';
import { ADMIN_BODY_LIMIT_BYTES, adminPlugin } from './http/admin/plugin.js';
import { dashboard } from './http/dashboard.js';
import { inferencePlugin } from './http/inference/plugin.js';
import { registerPlumbing, requestId } from './http/plumbing.js';
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

/** A hop count becomes fastify's trust function: the nearest `n` proxies are trusted. */
function trustProxyOption(t: Config['trustProxy']): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof t === 'number' ? (_address, hop) => hop < t : t;
}

/** Builds the HTTP app from its dependencies. Reads no environment and does not listen. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const clock = deps.clock ?? systemClock;
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    // Unknown paths are refused like admin requests; each surface sets its own limit for its routes.
    bodyLimit: ADMIN_BODY_LIMIT_BYTES,
    trustProxy: trustProxyOption(deps.config.trustProxy),
    genReqId: requestId,
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true },
  });
  const services = createServices(deps.config, deps.store, clock, deps.serverSecret);
  app.decorate('services', services);

  registerPlumbing(app);
  await app.register(adminPlugin, {
    config: deps.config,
    services,
    store: deps.store,
    counters: deps.counters,
    clock,
    serverSecret: deps.serverSecret,
  });
  await app.register(inferencePlugin, { keys: services.keys });
  await app.register(dashboard, {});

  await app.ready();
  return app;
}
