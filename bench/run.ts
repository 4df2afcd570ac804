/**
 * `npm run bench`: throughput and latency of the admin API against a bare fastify ceiling,
 * measured in one run so the ratios compare like with like on this machine.
 *
 * The servers run in this process; the load generator (autocannon) runs in a child process, so the
 * two do not share one event loop and each gets a core of the two this machine has.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Fastify, { type FastifyInstance } from 'fastify';
import pg from 'pg';
import { buildApp } from '../packages/server/src/app.js';
import { resolveConfig } from '../packages/server/src/config.js';
import { MemoryLimitCounters } from '../packages/server/src/counters/memory.js';
import { createAccountWithAdminKey } from '../packages/server/src/domain/bootstrap.js';
import { openPostgresStore } from '../packages/server/src/storage/postgres.js';
import { openSqliteStore } from '../packages/server/src/storage/sqlite.js';
import type { Store } from '../packages/server/src/storage/types.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const AUTOCANNON = join(ROOT, 'node_modules', '.bin', 'autocannon');
const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const DURATION_S = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = 10;

interface Result {
  scenario: string;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  ceiling?: string;
  ratio?: number;
}

async function load(url: string, headers: Record<string, string>, seconds: number): Promise<Omit<Result, 'scenario'>> {
  const args = ['-c', String(CONNECTIONS), '-d', String(seconds), '-j'];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}=${v}`);
  const { stdout } = await run(AUTOCANNON, [...args, url], { maxBuffer: 16 * 1024 * 1024 });
  const r = JSON.parse(stdout);
  return {
    requestsPerSec: Math.round(r.requests.average),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    errors: r.errors + r.non2xx,
  };
}

async function measure(scenario: string, url: string, headers: Record<string, string> = {}): Promise<Result> {
  await load(url, headers, 1); // warm-up: JIT, caches, connection pools
  const r = { scenario, ...(await load(url, headers, DURATION_S)) };
  console.log(
    `  ${scenario}: ${r.requestsPerSec} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms${r.errors ? `, ${r.errors} errors` : ''}`,
  );
  return r;
}

async function listen(app: FastifyInstance): Promise<string> {
  return app.listen({ host: '127.0.0.1', port: 0 });
}

/** A real app over `store` with one account of 500 keys; returns the URLs and key to hit. */
async function realApp(store: Store) {
  const config = resolveConfig({ limits: { keyCreatesPerMinute: 1_000_000 } });
  const app = await buildApp({ config, store, counters: new MemoryLimitCounters(), serverSecret: randomBytes(32) });
  const { account, created } = await createAccountWithAdminKey(app.services.accounts, app.services.keys);
  for (let i = 1; i < 500; i++) {
    await app.services.keys.create(account.id, {
      type: 'INFERENCE',
      description: `bench key ${i}`,
      expiresAt: null,
      limitUsd: i % 2 ? 10_000_000n : null,
      limitDiem: null,
      limitPeriod: 'MONTH',
      modelPrivacy: 'ALL',
    });
  }
  const base = await listen(app);
  const headers = { authorization: `Bearer ${created.secret}` };
  const retrieveUrl = `${base}/api/v1/api_keys/${created.key.id}`;
  const listUrl = `${base}/api/v1/api_keys`;
  const retrieveBody = await (await fetch(retrieveUrl, { headers })).text();
  const listBody = await (await fetch(listUrl, { headers })).text();
  if (JSON.parse(listBody).data.length !== 500) throw new Error('expected 500 keys');
  return { app, headers, retrieveUrl, listUrl, retrieveBody, listBody };
}

async function main() {
  const results: Result[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'vk-bench-'));
  try {
    console.log(`venice-keys bench: ${CONNECTIONS} connections, ${DURATION_S} s per scenario after 1 s warm-up\n`);
    const sqlite = await realApp(await openSqliteStore(join(dir, 'bench.db')));

    // The ceiling: the same bytes from memory, through a bare fastify route.
    const ceiling = Fastify({ logger: false });
    ceiling.get('/retrieve', (_req, reply) => reply.type('application/json').send(sqlite.retrieveBody));
    ceiling.get('/list', (_req, reply) => reply.type('application/json').send(sqlite.listBody));
    const ceilingBase = await listen(ceiling);
    const retrieveCeiling = await measure('ceiling: retrieve JSON from memory', `${ceilingBase}/retrieve`);
    const listCeiling = await measure('ceiling: 500-key list JSON from memory', `${ceilingBase}/list`);
    results.push(retrieveCeiling, listCeiling);
    await ceiling.close();

    const against = (r: Result, c: Result): Result => ({
      ...r,
      ceiling: c.scenario,
      ratio: +(r.requestsPerSec / c.requestsPerSec).toFixed(3),
    });
    results.push(
      against(await measure('sqlite: GET /api_keys/{id}', sqlite.retrieveUrl, sqlite.headers), retrieveCeiling),
    );
    results.push(
      against(await measure('sqlite: GET /api_keys (500 keys)', sqlite.listUrl, sqlite.headers), listCeiling),
    );
    await sqlite.app.close();

    const schema = `bench_${randomBytes(5).toString('hex')}`;
    const reachable = await new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2_000 })
      .connect()
      .then(
        (c) => c.end().then(() => true),
        () => false,
      );
    if (reachable) {
      const store = await openPostgresStore(POSTGRES_URL, { schema });
      try {
        const pgApp = await realApp(store);
        results.push(
          against(await measure('postgres: GET /api_keys/{id}', pgApp.retrieveUrl, pgApp.headers), retrieveCeiling),
        );
        results.push(
          against(await measure('postgres: GET /api_keys (500 keys)', pgApp.listUrl, pgApp.headers), listCeiling),
        );
        await pgApp.app.close();
      } finally {
        await store.close().catch(() => undefined);
        const c = new pg.Client({ connectionString: POSTGRES_URL });
        await c.connect();
        await c.query(`drop schema if exists ${schema} cascade`);
        await c.end();
      }
    } else {
      console.log('  postgres: SKIPPED (not reachable at TEST_DATABASE_URL)');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  console.log('\n| scenario | req/s | p50 ms | p99 ms | ratio to ceiling |\n|---|---:|---:|---:|---:|');
  for (const r of results) {
    console.log(`| ${r.scenario} | ${r.requestsPerSec} | ${r.p50Ms} | ${r.p99Ms} | ${r.ratio ?? '1 (ceiling)'} |`);
  }
  const target = results.find((r) => r.scenario === 'sqlite: GET /api_keys/{id}');
  console.log(
    `\nTarget: authenticated retrieve on SQLite >= 0.5 of the ceiling: ${target?.ratio} → ${(target?.ratio ?? 0) >= 0.5 ? 'MET' : 'MISSED'}`,
  );
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(
    join(ROOT, 'bench', 'results', 'latest.json'),
    `${JSON.stringify({ at: new Date().toISOString(), connections: CONNECTIONS, seconds: DURATION_S, results }, null, 2)}\n`,
  );
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
