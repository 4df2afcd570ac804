import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OwnPostgres, type OwnRedis, startOwnPostgres, startOwnRedis } from '../support/own-services.js';
import { ensureBuilt, type Running, start } from './process.js';

/** /readyz of the compiled server on a PostgreSQL and a Redis of this test's own, each stopped in turn. */
describe('readiness with PostgreSQL and Redis', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'vk-ready-'));
  let pg: OwnPostgres;
  let redis: OwnRedis;
  let server: Running;
  let base: string;

  beforeAll(async () => {
    ensureBuilt();
    [pg, redis] = await Promise.all([startOwnPostgres(), startOwnRedis()]);
    server = start([], {
      cwd,
      env: { DATABASE_URL: pg.url, REDIS_URL: redis.url, VENICE_KEYS_SECRET: 'readiness-test-secret-0123', PORT: '0' },
    });
    base = (await server.logLine((m) => m === 'venice-keys listening')).address as string;
  }, 120_000);

  afterAll(async () => {
    server?.child.kill('SIGKILL');
    await Promise.all([pg?.dispose(), redis?.dispose()]);
    rmSync(cwd, { recursive: true, force: true });
  });

  const ready = async () => {
    const res = await fetch(`${base}/readyz`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const untilReady = async () => {
    for (;;) {
      const r = await ready();
      if (r.status === 200) return r;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };

  it('is ready when both answer; /healthz needs nothing', async () => {
    expect(await ready()).toEqual({ status: 200, body: { status: 'ready', checks: { database: 'ok', redis: 'ok' } } });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  // In this order: the process must survive each outage and recover by itself.
  it.each([
    { name: 'redis', other: 'database', service: () => redis },
    { name: 'database', other: 'redis', service: () => pg },
  ])('answers 503 naming $name while it is down, and recovers when it is back', async ({ name, other, service }) => {
    await service().stop();
    const down = await ready();
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({
      status: 'unavailable',
      failing: [name],
      checks: { [name]: 'failing', [other]: 'ok' },
    });
    expect(down.body.error).toMatch(new RegExp(`^${name}: `));
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    await service().start();
    expect((await untilReady()).body).toMatchObject({ checks: { database: 'ok', redis: 'ok' } });
    expect(server.child.exitCode).toBeNull();
  });
});
