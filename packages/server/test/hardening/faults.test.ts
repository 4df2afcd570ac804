import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRedisCounters } from '../../src/counters/redis.js';
import { openPostgresStore } from '../../src/storage/postgres.js';
import { bearer, buildTestApp, newAccount, type TestAccount, type TestApp } from '../support/app.js';
import { type OwnPostgres, type OwnRedis, startOwnPostgres, startOwnRedis } from '../support/own-services.js';
import { sqliteFactory } from '../support/stores.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `ok` holds (no timed assertion: the bound is only there so that a broken build fails). */
async function eventually<T>(probe: () => Promise<T>, ok: (v: T) => boolean, attempts = 100): Promise<T[]> {
  const seen: T[] = [];
  for (let i = 0; i < attempts; i++) {
    const v = await probe();
    seen.push(v);
    if (ok(v)) return seen;
    await sleep(100);
  }
  throw new Error(`never recovered: ${JSON.stringify(seen.slice(-3))}`);
}

/** Issue 10 item 1: a killed PostgreSQL connection or a stopped database is logged, answered 503 and recovered from. */
describe('PostgreSQL faults, on a PostgreSQL of our own', () => {
  let own: OwnPostgres;
  let t: TestApp;
  let acct: TestAccount;
  const warnings: string[] = [];

  beforeAll(async () => {
    own = await startOwnPostgres();
    const store = await openPostgresStore(own.url, {
      maxConnections: 4,
      connectionTimeoutMs: 1_000,
      warn: (_fields, message) => warnings.push(message),
    });
    t = await buildTestApp(store);
    acct = await newAccount(t);
  }, 60_000);
  afterAll(async () => {
    await t?.app.close();
    await t?.store.close();
    await own?.dispose();
  });

  const list = async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/api_keys', headers: bearer(acct.adminKey) });
    return { status: res.statusCode, body: res.json() as unknown };
  };

  it('pg_terminate_backend on every connection: logged, replaced, no crash (was "Unhandled \'error\' event")', async () => {
    await Promise.all(Array.from({ length: 8 }, list));
    const admin = new pg.Client({ connectionString: own.url });
    await admin.connect();
    const killed = await admin.query(
      "select pg_terminate_backend(pid) from pg_stat_activity where pid <> pg_backend_pid() and backend_type = 'client backend'",
    );
    await admin.end();
    expect(killed.rowCount).toBeGreaterThan(0);
    await eventually(
      async () => warnings.length,
      (n) => n > 0,
    );
    expect(warnings[0]).toBe('PostgreSQL connection lost; it will be replaced');
    const answers = await eventually(list, (a) => a.status === 200);
    for (const a of answers) expect([200, 503]).toContain(a.status);
  });

  it('a stopped database answers 503 at once and the service recovers when it is back', async () => {
    await own.stop();
    const down = await list();
    expect(down).toEqual({ status: 503, body: { error: 'Database temporarily unavailable, please retry' } });
    await own.start();
    const answers = await eventually(list, (a) => a.status === 200);
    for (const a of answers) expect([200, 503]).toContain(a.status);
  });
});

describe('Redis faults, on a Redis of our own', () => {
  let own: OwnRedis;
  let t: TestApp;
  let dispose: () => Promise<void>;
  const warnings: string[] = [];

  beforeAll(async () => {
    own = await startOwnRedis();
    const counters = await openRedisCounters(own.url, `t:${randomUUID()}:`, (_f, message) => warnings.push(message));
    const opened = await sqliteFactory.open();
    dispose = opened.dispose;
    t = await buildTestApp(opened.store, { counters, config: { web3: { enabled: true } } });
  }, 60_000);
  afterAll(async () => {
    await t?.app.close();
    await dispose?.();
    await own?.dispose();
  });

  // The web3 routes spend from a per-client budget in Redis before anything else.
  const limits = async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/api_keys/generate_web3_key' });
    return { status: res.statusCode, body: res.json() as { error?: string } };
  };

  it('while Redis is down: 503 at once, one warning when it goes and one when it is back (was 500 and a line a second)', async () => {
    expect((await limits()).status).toBe(200);
    await own.stop();
    const answers = [];
    for (let i = 0; i < 10; i++) {
      answers.push(await limits());
      await sleep(200);
    }
    for (const a of answers)
      expect(a).toEqual({ status: 503, body: { error: 'Rate limiting is temporarily unavailable' } });
    expect(warnings).toEqual(['Redis unreachable; answering 503 until it is back']);
    await own.start();
    await eventually(limits, (a) => a.status === 200);
    expect(warnings).toEqual(['Redis unreachable; answering 503 until it is back', 'Redis reachable again']);
  });
});
