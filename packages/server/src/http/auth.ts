import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { KeyWithAccount } from '../domain/auth-cache.js';
import { AppError } from '../domain/errors.js';
import type { KeyService } from '../domain/keys.js';
import { singleHeader } from './headers.js';

/** Who may call a route: an ADMIN key, any key, or nobody needs to authenticate. */
export type RouteAuth = 'admin' | 'any' | 'none';

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
  interface FastifyRequest {
    caller: KeyWithAccount | undefined;
  }
}

/** The authenticated caller of a route that required one. */
export function callerOf(req: FastifyRequest): KeyWithAccount {
  if (!req.caller) throw new AppError('INTERNAL', 'route has no authenticated caller');
  return req.caller;
}

/**
 * Authenticates in `onRequest`, before the body is read, so that anonymous callers cannot make the
 * server buffer and parse bodies. Routes without `auth` config get the surface's default.
 */
export function registerAuth(app: FastifyInstance, keys: KeyService, defaultAuth: RouteAuth): void {
  app.addHook('onRequest', async (req) => {
    const auth = req.routeOptions.config?.auth ?? defaultAuth;
    if (auth === 'none' || req.routeOptions.url === undefined) return;
    const header = singleHeader(req, 'authorization', 'Authorization');
    const match = typeof header === 'string' ? /^Bearer +(\S+) *$/i.exec(header) : null;
    if (!match) throw new AppError('AUTH_REQUIRED', 'Authentication required');
    const caller = await keys.authenticate(match[1] as string);
    if (auth === 'admin' && caller.key.type !== 'ADMIN') throw new AppError('ADMIN_REQUIRED', 'Admin API key required');
    req.caller = caller;
  });
}
