import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../domain/clock.js';
import type { Services } from '../../services.js';
import { registerAuth } from '../auth.js';
import { adminErrorHandler, jsonBodies } from '../plumbing.js';
import { apiKeyRoutes } from './routes/api-keys.js';
import { billingRoutes } from './routes/billing.js';
import { usageRoutes } from './routes/usage.js';
import { web3Routes } from './routes/web3.js';

/** Request bodies of the admin API are small; anything larger is refused before it is buffered whole. */
export const ADMIN_BODY_LIMIT_BYTES = 64 * 1024;

export interface AdminDeps {
  services: Services;
  clock: Clock;
}

/** The admin API (keys, billing, web3 mint): small JSON bodies, ADMIN keys unless a route says otherwise. */
export async function adminPlugin(app: FastifyInstance, { services, clock }: AdminDeps): Promise<void> {
  app.addHook('onRoute', (route) => {
    route.bodyLimit ??= ADMIN_BODY_LIMIT_BYTES;
  });
  jsonBodies(app);
  registerAuth(app, services.keys, 'admin');
  app.setErrorHandler(adminErrorHandler);

  apiKeyRoutes(app, { ...services, clock });
  billingRoutes(app, services);
  usageRoutes(app, services.usage);
  web3Routes(app, { ...services, clock });
}
