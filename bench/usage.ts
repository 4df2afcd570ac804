/**
 * Usage analytics over a million-entry ledger: a 90-day `GET /billing/usage-analytics` must answer in
 * under 50 ms, because it reads the daily aggregates (usage_daily_model), never the raw entries.
 *
 * The ledger is seeded in one INSERT … SELECT over a generated series (seconds, not minutes), then the
 * aggregates are built from it with one INSERT … SELECT … GROUP BY, so they agree with it exactly.
 * Reported: single-call latency (sequential, p50/p99/max over many calls: the 50 ms target) and a
 * throughput row through the bench's load generator. Run alone: `node --import tsx bench/usage.ts`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import type { Store } from '../packages/server/src/storage/types.js';
import { benchRuntime } from './runtime.js';
import {
  buildApp,
  createAccountWithAdminKey,
  openPostgresStore,
  openSqliteStore,
  resolveConfig,
  systemClock,
  UsageAnalyticsService,
  withKeyDefaults,
} from './server.js';

const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ENTRIES = Number(process.env.BENCH_LEDGER_ENTRIES ?? 1_000_000);
const KEYS = 10;
const MODELS = ['venice-uncensored', 'llama-3.3-70b', 'qwen3-4b', 'grok-41-fast', 'text-embedding-bge-m3'];
const SPAN_DAYS = 120;
const DAY_MS = 86_400_000;
const CALLS = 200;
const COLD_CALLS = 30;
const TARGET_MS = 50;

/** What run.ts's `measure` does: a load-generator row in the bench table. */
export type Measure = (scenario: string, url: string, headers: Record<string, string>) => Promise<void>;

/** What differs between the engines for seeding: a connection of its own, a number series, zero padding. */
interface Dialect {
  exec(sql: string, params: unknown[]): Promise<void>;
  /** A CTE `n(i)` of 0 … ENTRIES - 1. */
  series: string;
  /** Zero-padded text of an integer expression: ids that sort as they are inserted fill their indexes in order. */
  padded(expr: string): string;
}

/**
 * The ledger of one account: ENTRIES lines over SPAN_DAYS days up to now, two SKUs per request,
 * ten keys, five models, one line in ten paid in DIEM. Then the daily aggregates, from the ledger itself.
 */
async function seedLedger(sql: Dialect, accountId: string, keyIds: string[], now: number) {
  const keys = keyIds.map((id, k) => `(${k}, '${id}')`).join(', ');
  const models = MODELS.map((m, k) => `(${k}, '${m}')`).join(', ');
  const step = Math.floor((SPAN_DAYS * DAY_MS) / ENTRIES);
  await sql.exec(
    `WITH ${sql.series}, ks(k, id) AS (VALUES ${keys}), ms(k, id) AS (VALUES ${models})
     INSERT INTO usage_ledger (id, account_id, api_key_id, reservation_id, request_id, at, model_id, sku, kind,
       tokens, price_per_mtok, amount, currency, prompt_tokens, completion_tokens, execution_ms)
     SELECT 'bench-' || ${sql.padded('n.i')}, $1, ks.id, 'res-' || ${sql.padded('n.i / 2')}, 'req-' || (n.i / 2),
       $2 + n.i * $3, ms.id,
       ms.id || CASE WHEN n.i % 2 = 0 THEN '-llm-input-mtoken' ELSE '-llm-output-mtoken' END,
       CASE WHEN n.i % 2 = 0 THEN 'input' ELSE 'output' END,
       100 + n.i % 1000, 1000000, 100 + n.i % 1000, CASE WHEN n.i % 10 = 0 THEN 'DIEM' ELSE 'USD' END, 500, 200, 900
     FROM n JOIN ks ON ks.k = (n.i / 2) % ${KEYS} JOIN ms ON ms.k = (n.i / ${2 * KEYS}) % ${MODELS.length}`,
    [accountId, now - SPAN_DAYS * DAY_MS, step],
  );
  await sql.exec(
    `INSERT INTO usage_daily_model (account_id, api_key_id, day, model_id, kind, currency, amount, tokens, requests)
     SELECT account_id, api_key_id, at / ${DAY_MS}, model_id, kind, currency, SUM(amount), SUM(tokens),
       SUM(CASE WHEN kind = 'input' THEN 1 ELSE 0 END)
     FROM usage_ledger WHERE account_id = $1 GROUP BY account_id, api_key_id, at / ${DAY_MS}, model_id, kind, currency`,
    [accountId],
  );
}

function stats(times: number[]) {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (p: number) =>
    Math.round((sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0) * 10) / 10;
  return { p50: at(0.5), p99: at(0.99), max: at(1) };
}

async function benchEngine(engine: string, store: Store, sql: Dialect, measure?: Measure) {
  const config = resolveConfig({});
  const runtime = benchRuntime(config, store);
  const app = await buildApp({ config, clock: systemClock, services: runtime.services });
  try {
    const { account, created } = await createAccountWithAdminKey(runtime.services.accounts, runtime.services.keys);
    const keyIds: string[] = [];
    for (let i = 0; i < KEYS; i++) {
      const made = await runtime.services.keys.create(
        account.id,
        withKeyDefaults({ type: 'INFERENCE', description: `bench key ${i}` }),
      );
      keyIds.push(made.key.id);
    }
    const seedStart = performance.now();
    await seedLedger(sql, account.id, keyIds, Date.now());
    console.log(`  ${engine}: seeded ${ENTRIES} ledger entries in ${Math.round(performance.now() - seedStart)} ms`);

    const headers = { authorization: `Bearer ${created.secret}` };
    const url = '/api/v1/billing/usage-analytics?lookback=90d';
    const first = await app.inject({ method: 'GET', url, headers });
    const body = first.json() as { byDate?: unknown[]; byKey?: { totalUnits: number }[] };
    if (first.statusCode !== 200 || body.byDate?.length !== 90 || body.byKey?.length !== KEYS) {
      throw new Error(`unexpected analytics answer ${first.statusCode} ${first.body.slice(0, 300)}`);
    }
    // Cold: a service of its own per call, so no closed day is known yet and all 90 are summed by the database.
    const cold: number[] = [];
    for (let i = 0; i < COLD_CALLS; i++) {
      const service = new UsageAnalyticsService(store, systemClock, config.models, config.upstream.timeoutMs);
      const t = performance.now();
      await service.analyse(account.id, { lookbackDays: 90 });
      cold.push(performance.now() - t);
    }
    // Warm: the app's own service, through HTTP, as a dashboard polling it would see it.
    const warm: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      const t = performance.now();
      await app.inject({ method: 'GET', url, headers });
      warm.push(performance.now() - t);
    }
    const c = stats(cold);
    const w = stats(warm);
    console.log(
      `  ${engine}: usage analytics 90d over ${ENTRIES} entries (${KEYS} keys x ${MODELS.length} models daily), one call at a time:\n` +
        `    cold (database sums all 90 days): p50 ${c.p50} ms, p99 ${c.p99} ms, max ${c.max} ms\n` +
        `    warm (HTTP, closed days known):   p50 ${w.p50} ms, p99 ${w.p99} ms, max ${w.max} ms\n` +
        `    target < ${TARGET_MS} ms for the cold p50: ${c.p50 < TARGET_MS ? 'MET' : 'MISSED'}`,
    );
    if (measure) {
      const base = await app.listen({ host: '127.0.0.1', port: 0 });
      await measure(
        `${engine}: GET /billing/usage-analytics 90d (${ENTRIES} ledger entries)`,
        `${base}${url}`,
        headers,
      );
    }
  } finally {
    await app.close();
  }
}

/** Both engines (PostgreSQL when reachable); `measure` adds the throughput rows to run.ts's table. */
export async function benchUsage(measure?: Measure): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vk-bench-usage-'));
  try {
    const path = join(dir, 'usage.db');
    const store = await openSqliteStore(path);
    const raw = new BetterSqlite3(path);
    try {
      await benchEngine(
        'sqlite',
        store,
        {
          async exec(text, params) {
            const named = Object.fromEntries(params.map((v, i) => [`p${i + 1}`, v]));
            raw.prepare(text.replaceAll(/\$(\d)/g, '@p$1')).run(named);
          },
          series: `RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${ENTRIES - 1})`,
          padded: (expr) => `printf('%09d', ${expr})`,
        },
        measure,
      );
    } finally {
      raw.close();
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const schema = `bench_usage_${randomBytes(5).toString('hex')}`;
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
  } catch {
    console.log(`  postgres: usage analytics SKIPPED (not reachable at ${POSTGRES_URL})`);
    return;
  }
  try {
    const store = await openPostgresStore(POSTGRES_URL, { schema });
    try {
      await client.query(`set search_path = ${schema}`);
      await benchEngine(
        'postgres',
        store,
        {
          async exec(text, params) {
            await client.query(text, params);
          },
          series: `n(i) AS (SELECT generate_series(0, ${ENTRIES - 1})::bigint)`,
          padded: (expr) => `lpad((${expr})::text, 9, '0')`,
        },
        measure,
      );
    } finally {
      await store.close();
    }
  } finally {
    await client.query(`drop schema if exists ${schema} cascade`);
    await client.end();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  benchUsage().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
