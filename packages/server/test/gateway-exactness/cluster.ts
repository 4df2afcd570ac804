import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { UpstreamHandle } from '../../../../tests/support/upstream/server.js';
import { spawnUpstream } from '../../../../tests/support/upstream/spawn.js';
import { type ConfigFile, resolveConfig } from '../../src/config.js';
import { MemoryLimitCounters } from '../../src/counters/memory.js';
import { systemClock } from '../../src/domain/clock.js';
import { chatPromptTokensUpper } from '../../src/domain/gateway/bounds.js';
import { withKeyDefaults } from '../../src/domain/keys.js';
import type { ApiKeyRecord } from '../../src/domain/model.js';
import { buildRuntime, type Runtime } from '../../src/runtime.js';
import { openPostgresStore } from '../../src/storage/postgres.js';
import { type ServerProcess, startServer } from '../support/crash-server.js';
import { POSTGRES_URL } from '../support/stores.js';
import { type OwnRedis, startOwnRedis } from './redis-server.js';

/** The one request body of these tests: its money bound is computed exactly as the gateway does. */
export const MAX_TOKENS = 5;
export const BODY = {
  model: 'exact',
  messages: [{ role: 'user', content: 'Say hello.' }],
  max_tokens: MAX_TOKENS,
  venice_parameters: { include_venice_system_prompt: false },
};
const LIMITS = { contextTokens: 32_768, maxCompletionTokens: 4_096 };
export const PROMPT_TOKENS = chatPromptTokensUpper(BODY, LIMITS);
/** $1 and $2 per million tokens: one micro-unit per prompt token, two per output token. */
export const COST = BigInt(PROMPT_TOKENS + 2 * MAX_TOKENS);

/**
 * The upstream reports exactly the bounds (its prompt count is forced to the gateway's upper bound, and the
 * completion reaches max_tokens), so every settled request costs its whole reservation: the ledger can only
 * sum to the limit if admission is exact.
 */
function catalog(): ConfigFile {
  const exact = (id: string, rateLimits?: { paid: { RPM: number; RPD: number; TPM: number } }) => ({
    id,
    upstreamModel: `m?prompt=${PROMPT_TOKENS}`,
    type: 'text' as const,
    privacy: 'private' as const,
    pricing: { inputUsdPerMTok: 1, outputUsdPerMTok: 2 },
    ...LIMITS,
    ...(rateLimits ? { rateLimits } : {}),
  });
  return {
    tiers: { paid: { RPM: 1_000_000, RPD: 10_000_000, TPM: 1_000_000_000 } },
    models: [
      exact('exact'),
      exact('rpm-100', { paid: { RPM: 100, RPD: 1_000_000, TPM: 1_000_000_000 } }),
      exact('tpm-small', { paid: { RPM: 1_000, RPD: 1_000_000, TPM: 2 * PROMPT_TOKENS } }),
    ],
  };
}

export interface Cluster {
  servers: ServerProcess[];
  redis: OwnRedis;
  upstream: UpstreamHandle;
  schema: string;
  /** Creates an account with this USD balance and DIEM allocation, and a key on it. */
  key(usd: bigint, over?: Partial<ApiKeyRecord> & { diem?: bigint }): Promise<{ accountId: string; secret: string }>;
  /** POST /chat/completions on server `i % n`. */
  chat(i: number, secret: string, body?: Record<string, unknown>): Promise<Response>;
  totals(accountId: string): Promise<{ ledgerUsd: bigint; ledgerDiem: bigint; dailyUsd: bigint; balance: bigint }>;
  /** Reservations the account still holds in Redis (none once everything settled). */
  held(accountId: string): Promise<number>;
  stop(): Promise<void>;
}

export async function startCluster(instances: number): Promise<Cluster> {
  const schema = `exact_${randomBytes(5).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'vk-exact-'));
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  const [upstream, redis] = await Promise.all([spawnUpstream(), startOwnRedis()]);
  const file: ConfigFile = { ...catalog(), upstream: { url: upstream.url, timeoutMs: 30_000 } };
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(file));
  // Accounts and keys are made through the domain, on the same schema, before any server starts.
  const store = await openPostgresStore(POSTGRES_URL, { schema });
  const runtime: Runtime = buildRuntime({
    config: resolveConfig(file, {}),
    store,
    counters: new MemoryLimitCounters(),
    clock: systemClock,
    serverSecret: new TextEncoder().encode('exactness-secret'),
  });
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const registry = new Set<ChildProcess>();
  const env = {
    DATABASE_URL: url.toString(),
    VENICE_KEYS_CONFIG: configFile,
    REDIS_URL: redis.url,
    VENICE_UPSTREAM_API_KEY: upstream.apiKey,
  };
  // An account exists, so no server bootstraps one.
  await runtime.services.accounts.create();
  const servers = await Promise.all(Array.from({ length: instances }, () => startServer(registry, env)));
  const redisClient = redis.client();

  const sum = async (query: string, accountId: string) =>
    BigInt(((await admin.query(query, [accountId])).rows[0] as { v: string | null }).v ?? 0);

  return {
    servers,
    redis,
    upstream,
    schema,
    async key(usd, over = {}) {
      const account = await runtime.services.accounts.create();
      if (usd > 0n) await store.creditUsd(account.id, usd);
      if (over.diem) await store.updateAccount(account.id, { diemEpochAllocation: over.diem });
      const created = await runtime.services.keys.create(
        account.id,
        withKeyDefaults({
          type: 'INFERENCE',
          description: 'exactness',
          limitUsd: over.limitUsd ?? null,
          limitDiem: over.limitDiem ?? null,
        }),
      );
      return { accountId: account.id, secret: created.secret };
    },
    chat(i, secret, body = BODY) {
      const server = servers[i % servers.length] as ServerProcess;
      return fetch(`${server.base}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(60_000),
      });
    },
    async totals(accountId) {
      return {
        ledgerUsd: await sum(
          `select sum(amount) as v from ${schema}.usage_ledger where account_id = $1 and currency = 'USD'`,
          accountId,
        ),
        ledgerDiem: await sum(
          `select sum(amount) as v from ${schema}.usage_ledger where account_id = $1 and currency = 'DIEM'`,
          accountId,
        ),
        dailyUsd: await sum(`select sum(usd) as v from ${schema}.usage_daily where account_id = $1`, accountId),
        balance: await sum(`select usd_balance as v from ${schema}.accounts where id = $1`, accountId),
      };
    },
    async held(accountId) {
      return redisClient.zcard(`vk:{a:${accountId}}:dl`);
    },
    async stop() {
      for (const child of registry) child.kill('SIGKILL');
      await Promise.all(servers.map((s) => s.exit()));
      await runtime.close();
      await Promise.all([upstream.close(), redis.stop()]);
      await admin.query(`drop schema if exists ${schema} cascade`);
      await admin.end();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until `done` holds (settlements are asynchronous to the answers); fails with `what` otherwise. */
export async function eventually(what: string, done: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > until) throw new Error(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
