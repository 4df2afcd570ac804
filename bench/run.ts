/**
 * `npm run bench`: throughput and latency of the admin API's two hot reads against a bare fastify
 * ceiling, all measured in one run so that the ratios compare like with like on this machine.
 *
 * Fairness on a 2-core machine: the servers run in this process (one event loop, one core, as in
 * production) and the load generator (autocannon, programmatic API) runs in a child process (`load.ts`),
 * so it shares neither the servers' event loop nor their heap and garbage collector, and gets the
 * other core. A load generator in the same process would take turns with the server on one loop and
 * understate every figure, the fast ceiling most of all. The table shows the CPU each side used: a
 * load generator near 1 core means that figure is bounded by the generator, not the server. With
 * PostgreSQL its backends share the same two cores: those figures include the database's own CPU, as
 * a single small host running both would.
 *
 * BENCH_SECONDS sets the measured seconds per scenario (default 5, after 1 s of warm-up);
 * BENCH_ONLY=<text> runs only the scenarios whose name contains it and leaves results/latest.json
 * alone. To profile one scenario (the servers only, the load generator being another process):
 * `BENCH_ONLY='sqlite: GET /api_keys/{id}' node --cpu-prof --import tsx bench/run.ts`.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import pg from 'pg';
import type { Store } from '../packages/server/src/storage/types.js';
import { benchGateway } from './gateway.js';
import type { LoadJob, LoadResult } from './load.js';
import { benchRuntime } from './runtime.js';
import {
  buildApp,
  createAccountWithAdminKey,
  dayOf,
  openPostgresStore,
  openSqliteStore,
  resolveConfig,
  withKeyDefaults,
} from './server.js';
import { benchUsage } from './usage.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const RESULTS = join(ROOT, 'bench', 'results', 'latest.json');
const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const WARMUP_SECONDS = 1;
const CONNECTIONS = 10;
const KEYS = 500;
const ONLY = process.env.BENCH_ONLY;
const TARGET = { scenario: 'sqlite: GET /api_keys/{id}', ratio: 0.5 };

const CEILING = {
  retrieve: 'ceiling: retrieve answer from memory',
  list: `ceiling: ${KEYS}-key list answer from memory`,
};
const scenarios = (engine: string) => ({
  retrieve: `${engine}: GET /api_keys/{id}`,
  list: `${engine}: GET /api_keys (${KEYS} keys)`,
});
const selected = (scenario: string) => !ONLY || scenario.includes(ONLY);

interface Result extends LoadResult {
  scenario: string;
  /** CPU this process (the server) used during the measurement, in cores. */
  serverCpu: number;
  ceiling?: string;
  ratio?: number;
}

interface Answers {
  retrieve: unknown;
  list: unknown;
}

/** The child process that generates the load, one job at a time. */
class LoadGenerator {
  private readonly child: ChildProcess = fork(fileURLToPath(new URL('./load.ts', import.meta.url)), {
    cwd: ROOT,
    // Not this process's flags: a `--cpu-prof` given to profile the servers must not profile the load.
    execArgv: ['--import', 'tsx'],
    stdio: 'inherit',
  });

  run(job: LoadJob): Promise<LoadResult> {
    return new Promise((resolve, reject) => {
      this.child.once('message', (m: { result?: LoadResult; error?: string }) =>
        m.result ? resolve(m.result) : reject(new Error(`load generator: ${m.error}`)),
      );
      this.child.send(job);
    });
  }

  close(): void {
    this.child.kill();
  }
}

const loader = new LoadGenerator();
const results: Result[] = [];

async function measure(scenario: string, url: string, headers: Record<string, string>, ceiling?: string) {
  if (!selected(scenario)) return;
  await loader.run({ url, headers, connections: CONNECTIONS, seconds: WARMUP_SECONDS }); // JIT, caches, pools
  const cpuBefore = process.cpuUsage();
  const load = await loader.run({ url, headers, connections: CONNECTIONS, seconds: SECONDS });
  const cpu = process.cpuUsage(cpuBefore);
  if (load.failures > 0)
    throw new Error(`${scenario}: ${load.failures} failed requests, the figures would be meaningless`);
  const r: Result = { scenario, ...load, serverCpu: Math.round(((cpu.user + cpu.system) / 1e6 / SECONDS) * 100) / 100 };
  const base = ceiling && results.find((c) => c.scenario === ceiling);
  if (base) {
    r.ceiling = base.scenario;
    r.ratio = Math.round((r.requestsPerSec / base.requestsPerSec) * 1000) / 1000;
  }
  console.log(`  ${scenario}: ${r.requestsPerSec} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms`);
  results.push(r);
}

/**
 * The real app over `store`, with one account of 500 active keys (every other one with a monthly USD
 * limit, so that answers carry `currentPeriodUsage`) and a week of spend on every key, so that the
 * usage queries sum real rows. The retrieved key is a limited INFERENCE key: the fullest answer.
 */
async function realApp(store: Store) {
  // Keys are created through the domain, whose create rate is enforced with the app's clock.
  const config = resolveConfig({ limits: { keyCreatesPerMinute: 100_000 } });
  const runtime = benchRuntime(config, store);
  const app = await buildApp(runtime);
  const { services } = runtime;
  const { account, created } = await createAccountWithAdminKey(services.accounts, services.keys);
  const keyIds = [created.key.id];
  for (let i = 1; i < KEYS; i++) {
    const { key } = await services.keys.create(
      account.id,
      withKeyDefaults({
        type: 'INFERENCE',
        description: `bench key ${i}`,
        limitUsd: i % 2 ? 10_000_000n : null,
        limitPeriod: 'MONTH',
      }),
    );
    keyIds.push(key.id);
  }
  const today = dayOf(Date.now());
  for (const id of keyIds) {
    for (let day = today - 6; day <= today; day++)
      await store.recordSpend(account.id, id, day, { usd: 12_345n, diem: 0n });
  }
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const headers = { authorization: `Bearer ${created.secret}` };
  const retrieveUrl = `${base}/api/v1/api_keys/${keyIds[1]}`;
  const listUrl = `${base}/api/v1/api_keys`;
  const retrieved = (await (await fetch(retrieveUrl, { headers })).json()) as {
    data?: { currentPeriodUsage?: unknown };
  };
  if (!retrieved.data?.currentPeriodUsage) throw new Error(`unexpected retrieve answer ${JSON.stringify(retrieved)}`);
  const listed = (await (await fetch(listUrl, { headers })).json()) as { data: unknown[] };
  if (listed.data.length !== KEYS) throw new Error(`expected ${KEYS} keys, listed ${listed.data.length}`);
  const answers: Answers = { retrieve: retrieved, list: listed };
  return { app, headers, retrieveUrl, listUrl, answers };
}

/**
 * The ceiling: fastify with no logger and no hooks, answering the real app's answers from memory.
 * The handlers return the objects, as the real routes do, so the ceiling includes serialising them.
 */
async function measureCeilings(answers: Answers): Promise<void> {
  const app: FastifyInstance = Fastify({ logger: false });
  app.get('/retrieve', async () => answers.retrieve);
  app.get('/list', async () => answers.list);
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    await measure(CEILING.retrieve, `${base}/retrieve`, {});
    await measure(CEILING.list, `${base}/list`, {});
  } finally {
    await app.close();
  }
}

/** Both scenarios on one engine; `ceilings` sees the real answers first and measures them. */
async function benchEngine(engine: string, open: () => Promise<Store>, ceilings?: (answers: Answers) => Promise<void>) {
  const names = scenarios(engine);
  const wanted = [...Object.values(names), ...(ceilings ? Object.values(CEILING) : [])];
  if (!wanted.some(selected)) return;
  const store = await open();
  try {
    const real = await realApp(store);
    try {
      await ceilings?.(real.answers);
      await measure(names.retrieve, real.retrieveUrl, real.headers, CEILING.retrieve);
      await measure(names.list, real.listUrl, real.headers, CEILING.list);
    } finally {
      await real.app.close();
    }
  } finally {
    await store.close();
  }
}

async function withPostgres(run: (client: pg.Client) => Promise<void>): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
  } catch {
    return false;
  }
  try {
    await run(client);
  } finally {
    await client.end();
  }
  return true;
}

function report(): void {
  const cores = (v: number) => v.toFixed(2);
  console.log(
    '\n| scenario | req/s | p50 ms | p99 ms | ratio to ceiling | server CPU | load CPU |\n|---|---:|---:|---:|---:|---:|---:|',
  );
  for (const r of results) {
    const ratio = r.ratio !== undefined ? String(r.ratio) : r.scenario.startsWith('ceiling') ? '(ceiling)' : 'n/a';
    console.log(
      `| ${r.scenario} | ${r.requestsPerSec} | ${r.p50Ms} | ${r.p99Ms} | ${ratio} | ${cores(r.serverCpu)} | ${cores(r.loadCpu)} |`,
    );
  }
  console.log('(CPU in cores: 1.00 = one core busy the whole time)');
  const target = results.find((r) => r.scenario === TARGET.scenario);
  const met = target?.ratio !== undefined && target.ratio >= TARGET.ratio;
  console.log(
    target?.ratio === undefined
      ? `\nTarget (${TARGET.scenario} >= ${TARGET.ratio} of its ceiling): not measured in this run`
      : `\nTarget: authenticated retrieve on SQLite reaches ${target.ratio} of the ceiling (target >= ${TARGET.ratio}): ${met ? 'MET' : 'MISSED'}`,
  );
  if (ONLY) {
    console.log(`(BENCH_ONLY run: ${RESULTS} left as it was)`);
    return;
  }
  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version };
  const file = {
    at: new Date().toISOString(),
    machine,
    connections: CONNECTIONS,
    seconds: SECONDS,
    results,
    target: { ...TARGET, measured: target?.ratio ?? null, met },
  };
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify(file, null, 2)}\n`);
  console.log(`Results written to ${RESULTS}`);
}

async function main(): Promise<void> {
  console.log(
    `venice-keys bench: ${CONNECTIONS} connections, ${SECONDS} s per scenario after ${WARMUP_SECONDS} s of warm-up\n`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'vk-bench-'));
  try {
    // The ceilings serve the SQLite app's own answers, measured before its scenarios.
    await benchEngine('sqlite', () => openSqliteStore(join(dir, 'bench.db')), measureCeilings);

    const schema = `bench_${randomBytes(5).toString('hex')}`;
    const reachable = await withPostgres(async (client) => {
      try {
        await benchEngine('postgres', () => openPostgresStore(POSTGRES_URL, { schema }));
      } finally {
        await client.query(`drop schema if exists ${schema} cascade`);
      }
    });
    if (!reachable) console.log(`  postgres: SKIPPED (not reachable at ${POSTGRES_URL})`);
    if (selected('gateway')) await benchGateway((job) => loader.run(job), SECONDS);
    if (selected('usage')) await benchUsage(measure);
  } finally {
    loader.close();
    rmSync(dir, { recursive: true, force: true });
  }
  report();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
  loader.close();
});
