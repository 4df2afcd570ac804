import type { FastifyInstance } from 'fastify';

/** One dependency the server needs to answer requests, and how to tell that it answers now. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

const CHECK_TIMEOUT_MS = 2_000;

function withinTimeout(check: () => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  return Promise.race([check(), timeout]).finally(() => clearTimeout(timer));
}

/**
 * `/healthz`: the process is up. `/readyz`: every dependency answers now (migrations ran before the
 * server listened, so a reachable database is a migrated one); otherwise 503 naming what fails.
 * Outside /api/v1 and without authentication, for load balancers and orchestrators.
 */
export async function healthRoutes(app: FastifyInstance, { checks }: { checks: readonly ReadinessCheck[] }) {
  app.get('/healthz', { config: { auth: 'none' } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { config: { auth: 'none' } }, async (req, reply) => {
    const results = await Promise.all(
      checks.map(async ({ name, check }) => {
        try {
          await withinTimeout(check);
          return { name, error: undefined };
        } catch (e) {
          return { name, error: e instanceof Error ? e.message : String(e) };
        }
      }),
    );
    const failing = results.filter((r) => r.error !== undefined);
    const status = Object.fromEntries(results.map((r) => [r.name, r.error === undefined ? 'ok' : 'failing']));
    if (failing.length === 0) return { status: 'ready', checks: status };
    req.log.warn({ failing: failing.map((f) => `${f.name}: ${f.error}`) }, 'not ready');
    return reply.code(503).send({
      status: 'unavailable',
      failing: failing.map((f) => f.name),
      error: failing.map((f) => `${f.name}: ${f.error}`).join('; '),
      checks: status,
    });
  });
}
