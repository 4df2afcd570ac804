import { METHODS } from 'node:http';
import type { FastifyInstance, HTTPMethods } from 'fastify';
import { AppError } from '../domain/errors.js';

/** Every method Node parses; CONNECT is the server's `connect` event (http/transport.ts), never a route. */
const ROUTABLE = METHODS.filter((m) => m !== 'CONNECT');

/** Lets the router see every method, so that TRACE, PROPFIND or SEARCH reach the 404 and 405 answers. */
export function routeEveryMethod(app: FastifyInstance): void {
  const known = new Set<string>(app.supportedMethods);
  for (const m of ROUTABLE) if (!known.has(m)) app.addHttpMethod(m, { hasBody: true });
}

/**
 * A known path with a method it does not serve is a 405 with `Allow`, not a 404. The table of
 * served methods is built from the routes themselves as every surface registers them; call
 * `refuseUnserved` once, after the last surface.
 */
export function methodTable(app: FastifyInstance): { refuseUnserved(): void } {
  const served = new Map<string, Set<string>>();
  let closed = false;
  app.addHook('onRoute', (route) => {
    if (closed) return;
    const methods = served.get(route.url) ?? new Set<string>();
    for (const m of [route.method].flat()) methods.add(m);
    served.set(route.url, methods);
  });
  return {
    refuseUnserved() {
      closed = true;
      for (const [url, methods] of served) {
        const others = ROUTABLE.filter((m) => !methods.has(m)) as HTTPMethods[];
        if (others.length === 0) continue;
        const allow = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', ...ROUTABLE]
          .filter((m, i, all) => methods.has(m) && all.indexOf(m) === i)
          .join(', ');
        app.route({
          method: others,
          url,
          handler: async () => {
            throw new AppError('METHOD_NOT_ALLOWED', 'Method not allowed', { headers: { allow } });
          },
        });
      }
    },
  };
}
