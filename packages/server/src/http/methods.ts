import type { FastifyInstance, HTTPMethods } from 'fastify';
import { AppError } from '../domain/errors.js';

const REFUSED: HTTPMethods[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

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
        const others = REFUSED.filter((m) => !methods.has(m));
        if (others.length === 0) continue;
        const allow = [...REFUSED, 'HEAD'].filter((m) => methods.has(m)).join(', ');
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
