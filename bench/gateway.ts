/**
 * The gateway's cost, measured in one run on loopback with the same load on every target: non-streaming
 * chat with a small body, 64 connections, the load generator in its child process (run.ts). Targets:
 *   direct     the test upstream itself
 *   bare proxy node:http + an undici pool, forwarding with no checks: the ceiling of any gateway
 *   memory     the real app: SQLite store, memory reservations
 *   redis      the real app: PostgreSQL store, Redis reservations (one Lua script per admission)
 *   diagnostic a fastify route doing what the bare proxy does: what the framework costs by itself; the
 *              real app with a gateway engine that admits and settles nothing: what the HTTP layer
 *              costs by itself; and each real gateway with a ledger that writes nothing: what admission
 *              and settlement in the counters cost without the database, so that the rows tell the
 *              HTTP layer, the counters and the ledger apart
 * Per target: throughput and latency under load; latency unloaded (one connection: what the gateway adds
 * to a request, not queueing); and the time to the first byte of a streamed answer, unloaded.
 * The servers (and the in-process upstream) share this process's one event loop, as in production.
 * Only these rows: `BENCH_ONLY=gateway npm run bench`.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { Pool } from 'undici';
import type { UsageLedger } from '../packages/server/src/domain/ports/ledger.js';
import type { Reservations } from '../packages/server/src/domain/ports/reservations.js';
import type { InferenceGateway } from '../packages/server/src/http/inference/exchange.js';
import type { Store } from '../packages/server/src/storage/types.js';
import { startUpstream, type UpstreamHandle } from '../tests/support/upstream/server.js';
import type { TtfbJob, TtfbResult } from './gateway-ttfb.js';
import type { LoadJob, LoadResult } from './load.js';
import { benchRuntime } from './runtime.js';
import {
  buildApp,
  buildGateway,
  createAccountWithAdminKey,
  openPostgresStore,
  openReservations,
  openSqliteStore,
  resolveConfig,
  withKeyDefaults,
} from './server.js';

const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CONNECTIONS = 64;
const UNLOADED_SECONDS = 2;
const TTFB_REQUESTS = 300;
const TARGETS = { throughputMemory: 0.8, throughputRedis: 0.6, addedP50Ms: 0.5, addedP99Ms: 2, addedTtfbMs: 1 };

const BARE = 'bare proxy (ceiling)';
const STUBBED = 'app without its gateway engine (diagnostic)';
const NO_LEDGER = 'ledger writes skipped (diagnostic)';
const BODY = JSON.stringify({ model: 'bench', messages: [{ role: 'user', content: 'Say hello.' }], max_tokens: 8 });
const STREAM_BODY = JSON.stringify({ ...JSON.parse(BODY), stream: true, stream_options: { include_usage: true } });

interface Target {
  name: string;
  /** Base URL ending before `/chat/completions`. */
  base: string;
  headers: Record<string, string>;
  close(): Promise<void>;
}

export interface GatewayRow {
  target: string;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  unloadedP50Ms: number;
  unloadedP99Ms: number;
  ttfbP50Ms: number;
  ttfbP99Ms: number;
  serverCpu: number;
  loadCpu: number;
  /** To the bare proxy (1 for the bare proxy itself), from the rounds: see `combine`. */
  ratio: number;
}

/** One round's figures of a target; the ratio comes from all rounds together. */
type RoundRow = Omit<GatewayRow, 'ratio'>;

/** Forwards to the upstream with its key and checks nothing: what any gateway costs at least. */
async function bareProxy(upstream: UpstreamHandle): Promise<Target> {
  const url = new URL(upstream.url);
  const pool = new Pool(url.origin, { connections: 512, keepAliveTimeout: 30_000 });
  const server: Server = createServer(async (req, res) => {
    try {
      const parts: Buffer[] = [];
      for await (const part of req) parts.push(part as Buffer);
      const answer = await pool.request({
        method: 'POST',
        path: `${url.pathname}/chat/completions`,
        headers: { authorization: `Bearer ${upstream.apiKey}`, 'content-type': 'application/json' },
        body: Buffer.concat(parts),
      });
      res.writeHead(answer.statusCode, { 'content-type': String(answer.headers['content-type']) });
      for await (const chunk of answer.body) res.write(chunk);
      res.end();
    } catch {
      res.destroy();
    }
  });
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    name: BARE,
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    headers: {},
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.close();
    },
  };
}

/** The same pass-through as one fastify route with nothing else: what the framework itself costs. */
async function fastifyProxy(upstream: UpstreamHandle): Promise<Target> {
  const url = new URL(upstream.url);
  const pool = new Pool(url.origin, { connections: 512, keepAliveTimeout: 30_000 });
  const app = Fastify({ logger: false });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.post('/v1/chat/completions', async (req, reply) => {
    const answer = await pool.request({
      method: 'POST',
      path: `${url.pathname}/chat/completions`,
      headers: { authorization: `Bearer ${upstream.apiKey}`, 'content-type': 'application/json' },
      body: req.body as Buffer,
    });
    // Read whole and sent as one string, as the gateway does with an answer that is not a stream.
    const text = await answer.body.text();
    return reply.code(answer.statusCode).type(String(answer.headers['content-type'])).send(text);
  });
  const base = `${await app.listen({ host: '127.0.0.1', port: 0 })}/v1`;
  return {
    name: 'fastify proxy, one route (diagnostic)',
    base,
    headers: {},
    async close() {
      await app.close();
      await pool.close();
    },
  };
}

/**
 * Admits everything, holds nothing, settles nothing: the app with its gateway engine taken out. Not a
 * product configuration; its row shows what the HTTP layer (ids, auth, validation, bounds, the relay,
 * `cost`) costs on its own, apart from admission, settlement and the ledger.
 */
const NO_CHECKS: InferenceGateway = {
  admit: async () => ({
    reservationId: '',
    headers: {},
    costOf: () => ({ usd: 0n, diem: 0n }),
    settle: async () => {},
    release: async () => {},
  }),
  recordFailure: async () => {},
};

/**
 * Records nothing and says every charge was recorded: the gateway then admits and settles in its counters
 * as usual, without the database's work. Not a product configuration (nothing would be durable).
 */
function ledgerSkipped(store: Store): Store {
  const ledger: UsageLedger = {
    record: async (batch) => batch.map((s) => s.charge),
    mirrorFacts: (...args) => store.ledger.mirrorFacts(...args),
  };
  return Object.assign(Object.create(store) as Store, { ledger });
}

/** The gateway's engine: real, real but with `ledgerSkipped`, or none (`NO_CHECKS`). */
type Engine = 'real' | 'no ledger' | 'none';

/** The real app over `store` and `reservations`, with one funded account and an unlimited INFERENCE key. */
async function gatewayTarget(
  name: string,
  upstream: UpstreamHandle,
  store: Store,
  reservations: Reservations,
  engine: Engine = 'real',
) {
  const unlimited = { RPM: 1_000_000_000, RPD: 1_000_000_000, TPM: 1_000_000_000_000 };
  const config = resolveConfig(
    {
      upstream: { url: upstream.url },
      accounts: { startingBalanceUsd: 1_000_000 },
      tiers: { paid: unlimited },
      models: [
        { id: 'bench', type: 'text', privacy: 'private', pricing: { inputUsdPerMTok: 0.1, outputUsdPerMTok: 0.2 } },
      ],
    },
    { VENICE_UPSTREAM_API_KEY: upstream.apiKey },
  );
  const runtime = benchRuntime(config, store, reservations);
  const gateway = buildGateway({
    ...runtime,
    store: engine === 'no ledger' ? ledgerSkipped(store) : store,
    log: { warn: (d, m) => console.warn(m, d), error: (d, m) => console.error(m, d) },
  });
  const app = await buildApp({ ...runtime, gateway: engine === 'none' ? NO_CHECKS : gateway });
  const { account } = await createAccountWithAdminKey(runtime.services.accounts, runtime.services.keys);
  const key = await runtime.services.keys.create(
    account.id,
    withKeyDefaults({ type: 'INFERENCE', description: 'bench' }),
  );
  const base = `${await app.listen({ host: '127.0.0.1', port: 0 })}/api/v1`;
  return {
    name,
    base,
    headers: { authorization: `Bearer ${key.secret}` },
    async close() {
      await app.close();
      await gateway.flush();
      await reservations.close();
    },
  } satisfies Target;
}

/** Sequential streamed requests from a child process of its own: time to the first byte of the body. */
function ttfb(job: TtfbJob): Promise<TtfbResult> {
  const child: ChildProcess = fork(fileURLToPath(new URL('./gateway-ttfb.ts', import.meta.url)), {
    execArgv: ['--import', 'tsx'],
    stdio: 'inherit',
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m: { result?: TtfbResult; error?: string }) => {
      child.kill();
      m.result ? resolve(m.result) : reject(new Error(`ttfb: ${m.error}`));
    });
    child.send(job);
  });
}

async function measure(load: (job: LoadJob) => Promise<LoadResult>, seconds: number, t: Target): Promise<RoundRow> {
  const url = `${t.base}/chat/completions`;
  const headers = { ...t.headers, 'content-type': 'application/json' };
  const job = { url, headers, method: 'POST' as const, body: BODY };
  await load({ ...job, connections: CONNECTIONS, seconds: 1 }); // JIT, pools, caches
  const cpuBefore = process.cpuUsage();
  const loaded = await load({ ...job, connections: CONNECTIONS, seconds });
  const cpu = process.cpuUsage(cpuBefore);
  const unloaded = await load({ ...job, connections: 1, seconds: UNLOADED_SECONDS });
  const stream = await ttfb({ url, headers, body: STREAM_BODY, requests: TTFB_REQUESTS });
  for (const [what, r] of [
    ['loaded', loaded],
    ['unloaded', unloaded],
  ] as const) {
    if (r.failures > 0) throw new Error(`${t.name} (${what}): ${r.failures} failed requests`);
  }
  const row: RoundRow = {
    target: t.name,
    requestsPerSec: loaded.requestsPerSec,
    p50Ms: loaded.p50Ms,
    p99Ms: loaded.p99Ms,
    unloadedP50Ms: unloaded.p50Ms,
    unloadedP99Ms: unloaded.p99Ms,
    ttfbP50Ms: stream.p50Ms,
    ttfbP99Ms: stream.p99Ms,
    serverCpu: Math.round(((cpu.user + cpu.system) / 1e6 / seconds) * 100) / 100,
    loadCpu: loaded.loadCpu,
  };
  console.log(`  gateway bench: ${t.name}: ${row.requestsPerSec} req/s, unloaded p50 ${row.unloadedP50Ms} ms`);
  return row;
}

const round = (v: number) => Math.round(v * 100) / 100;

function report(rows: GatewayRow[]): void {
  const bare = rows.find((r) => r.target === BARE);
  if (!bare) return;
  console.log(
    `\nGateway (POST /chat/completions, small body; ${CONNECTIONS} connections loaded, 1 unloaded; stream TTFB over ${TTFB_REQUESTS} sequential requests)`,
  );
  console.log(
    '| target | req/s | ratio to bare proxy | p50 ms | p99 ms | unloaded p50 ms | unloaded p99 ms | stream TTFB p50 ms | TTFB p99 ms | server CPU | load CPU |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const r of rows) {
    console.log(
      `| ${r.target} | ${r.requestsPerSec} | ${r.ratio} | ${r.p50Ms} | ${r.p99Ms} | ${r.unloadedP50Ms} | ${r.unloadedP99Ms} | ${r.ttfbP50Ms} | ${r.ttfbP99Ms} | ${r.serverCpu.toFixed(2)} | ${r.loadCpu.toFixed(2)} |`,
    );
  }
  const verdict = (ok: boolean) => (ok ? 'MET' : 'MISSED');
  for (const r of rows.filter((x) => x.target.startsWith('gateway') && !x.target.includes('(diagnostic)'))) {
    const redis = r.target.includes('Redis');
    const min = redis ? TARGETS.throughputRedis : TARGETS.throughputMemory;
    const p50 = round(r.unloadedP50Ms - bare.unloadedP50Ms);
    const p99 = round(r.unloadedP99Ms - bare.unloadedP99Ms);
    const first = round(r.ttfbP50Ms - bare.ttfbP50Ms);
    console.log(`${r.target}: throughput ${r.ratio}× the bare proxy (target ≥ ${min}): ${verdict(r.ratio >= min)}`);
    console.log(
      `  added latency (unloaded, vs bare proxy): p50 +${p50} ms, p99 +${p99} ms${redis ? '' : ` (targets ≤ ${TARGETS.addedP50Ms} / ≤ ${TARGETS.addedP99Ms}): ${verdict(p50 <= TARGETS.addedP50Ms && p99 <= TARGETS.addedP99Ms)}`}`,
    );
    console.log(
      `  added stream TTFB p50: +${first} ms (target ≤ ${TARGETS.addedTtfbMs}): ${verdict(first <= TARGETS.addedTtfbMs)}`,
    );
  }
}

async function optional<T>(what: string, open: () => Promise<T>): Promise<T | undefined> {
  try {
    return await open();
  } catch (error) {
    console.log(`  gateway bench: ${what} SKIPPED (${(error as Error).message})`);
    return undefined;
  }
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/**
 * One row of a target from its rounds. This machine's speed drifts by a third within a minute, so a
 * target's ratio is the median of its ratios to the bare proxy of the same round (measured seconds
 * apart, on the same drift), not a ratio of figures taken at different times. Throughput and loaded
 * latency are the median round's; unloaded latencies and TTFB are the least of the rounds (noise only
 * ever makes those worse).
 */
function combine(rounds: readonly RoundRow[], bare: readonly RoundRow[]): GatewayRow {
  const ratios = rounds.map((r, i) => r.requestsPerSec / (bare[i] as RoundRow).requestsPerSec);
  const byThroughput = [...rounds].sort((a, b) => a.requestsPerSec - b.requestsPerSec);
  const middle = byThroughput[Math.floor((byThroughput.length - 1) / 2)] as RoundRow;
  const least = (pick: (r: RoundRow) => number) => Math.min(...rounds.map(pick));
  return {
    ...middle,
    ratio: round(median(ratios)),
    unloadedP50Ms: least((r) => r.unloadedP50Ms),
    unloadedP99Ms: least((r) => r.unloadedP99Ms),
    ttfbP50Ms: least((r) => r.ttfbP50Ms),
    ttfbP99Ms: least((r) => r.ttfbP99Ms),
  };
}

/**
 * The gateway rows of `npm run bench`; `load` runs one job in the load generator's process. Every target
 * listens for the whole run and the rounds go through them in turn (BENCH_GATEWAY_ROUNDS, default 3),
 * so that a passing burst of load from elsewhere on the machine does not land on one target only.
 */
export async function benchGateway(
  load: (job: LoadJob) => Promise<LoadResult>,
  seconds: number,
): Promise<GatewayRow[]> {
  const rounds = Number(process.env.BENCH_GATEWAY_ROUNDS ?? 3);
  const upstream = await startUpstream();
  const dir = mkdtempSync(join(tmpdir(), 'vk-bench-gw-'));
  const schema = `bench_gw_${randomBytes(5).toString('hex')}`;
  const targets: Target[] = [];
  const closing: (() => Promise<void>)[] = [() => upstream.close()];
  const rows = new Map<string, RoundRow[]>();
  try {
    targets.push({
      name: 'direct to the upstream',
      base: upstream.url,
      headers: { authorization: `Bearer ${upstream.apiKey}` },
      close: async () => {},
    });
    targets.push(await bareProxy(upstream));
    targets.push(await fastifyProxy(upstream));
    const sqlite = await openSqliteStore(join(dir, 'bench.db'));
    closing.unshift(() => sqlite.close());
    targets.push(
      await gatewayTarget('gateway: memory counters, SQLite', upstream, sqlite, await openReservations(undefined)),
    );
    targets.push(await gatewayTarget(STUBBED, upstream, sqlite, await openReservations(undefined), 'none'));
    targets.push(
      await gatewayTarget(
        `gateway: memory counters, ${NO_LEDGER}`,
        upstream,
        sqlite,
        await openReservations(undefined),
        'no ledger',
      ),
    );
    const pgStore = await optional('PostgreSQL', () => openPostgresStore(POSTGRES_URL, { schema, maxConnections: 20 }));
    if (pgStore) closing.unshift(() => dropSchema(pgStore, schema));
    const redis = pgStore && (await optional('Redis', () => openReservations(REDIS_URL, `bench:${schema}:`)));
    if (pgStore && redis) {
      closing.push(() => dropRedisKeys(`bench:${schema}:`));
      targets.push(await gatewayTarget('gateway: Redis, PostgreSQL', upstream, pgStore, redis));
      const second = await openReservations(REDIS_URL, `bench:${schema}:skipped:`);
      targets.push(await gatewayTarget(`gateway: Redis, ${NO_LEDGER}`, upstream, pgStore, second, 'no ledger'));
    }
    for (let round = 1; round <= rounds; round++) {
      for (const t of targets) rows.set(t.name, [...(rows.get(t.name) ?? []), await measure(load, seconds, t)]);
    }
  } finally {
    for (const t of targets) await t.close();
    for (const close of closing) await close();
    rmSync(dir, { recursive: true, force: true });
  }
  const bare = rows.get(BARE) ?? [];
  const table = [...rows.values()].map((r) => combine(r, bare));
  report(table);
  return table;
}

/** The bench's counters go with it: a run leaves nothing behind in the Redis it was pointed at. */
async function dropRedisKeys(prefix: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(REDIS_URL);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
  await redis.quit();
}

async function dropSchema(store: Store, schema: string): Promise<void> {
  await store.close();
  const pg = (await import('pg')).default;
  const c = new pg.Client({ connectionString: POSTGRES_URL });
  await c.connect();
  await c.query(`drop schema if exists ${schema} cascade`);
  await c.end();
}
