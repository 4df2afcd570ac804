import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config.js';
import type { Clock } from '../../domain/clock.js';
import type { LimitCounters } from '../../domain/ports/counters.js';
import { apiKeyRoutes } from '../../routes/api-keys.js';
import { billingRoutes } from '../../routes/billing.js';
import { web3Routes } from '../../routes/web3.js';
import type { Services } from '../../services.js';
import type { Store } from '../../storage/types.js';
import { registerAuth } from '../auth.js';
import { adminErrorHandler, jsonBodies } from '../plumbing.js';

/** Request bodies of the admin API are small; anything larger is refused before it is buffered whole. */
export const ADMIN_BODY_LIMIT_BYTES = 64 * 1024;

export interface AdminDeps {
  config: Config;
  services: Services;
  store: Store;
  counters: LimitCounters;
  clock: Clock;
  serverSecret: Uint8Array;
}

/** The admin API (keys, billing, web3 mint): small JSON bodies, ADMIN keys unless a route says otherwise. */
export async function adminPlugin(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  app.addHook('onRoute', (route) => {
    route.bodyLimit ??= ADMIN_BODY_LIMIT_BYTES;
  });
  jsonBodies(app);
  registerAuth(app, deps.services.keys, 'admin');
  app.setErrorHandler(adminErrorHandler);

  const { services, counters, clock, config } = deps;
  apiKeyRoutes(app, { ...services, counters, clock, config });
  billingRoutes(app, services);
  web3Routes(app, { ...services, store: deps.store, counters, clock, serverSecret: deps.serverSecret, config });
}
