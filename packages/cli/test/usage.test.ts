import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  BillingUsageAnalytics,
  BillingUsageHistoryPage,
  CreatedApiKey,
  RateLimitLogsResponse,
} from '@venice-keys/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UpstreamHandle } from '../../../tests/support/upstream/server.js';
import { spawnUpstream } from '../../../tests/support/upstream/spawn.js';
import { assertBuilt, CliUser } from './support/cli.js';
import { startServer, type TestServer } from './support/server.js';

/** Usage comes from real gateway requests, relayed to the test upstream. */
const MODEL = 'venice-uncensored';
const TINY = 'tiny-rpm';
const REQUESTS = 12; // two ledger entries each (input, output; all USD): 24 entries, 3 pages of 10

let upstream: UpstreamHandle;
let server: TestServer;
let admin: CliUser;
let adminKey: string;
let key: CreatedApiKey;
const requestIds: string[] = [];

async function chat(secret: string, model = MODEL): Promise<Response> {
  return fetch(`${server.url}/api/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hello there' }], max_tokens: 5 }),
  });
}

async function history(): Promise<BillingUsageHistoryPage> {
  const r = await fetch(`${server.url}/api/v1/billing/usage-history?pageSize=1000`, {
    headers: { authorization: `Bearer ${adminKey}` },
  });
  return (await r.json()) as BillingUsageHistoryPage;
}

beforeAll(async () => {
  assertBuilt();
  upstream = await spawnUpstream();
  const pricing = { inputUsdPerMTok: 0.2, outputUsdPerMTok: 0.9 };
  server = await startServer({
    config: {
      upstream: { url: upstream.url },
      models: [
        { id: MODEL, type: 'text', privacy: 'private', pricing, rateLimits: { paid: { RPM: 1000 } } },
        { id: TINY, type: 'text', privacy: 'private', pricing, rateLimits: { paid: { RPM: 1 } } },
      ],
    },
    env: { VENICE_UPSTREAM_API_KEY: upstream.apiKey },
  });
  ({ adminKey } = await server.newAccount({ credit: '50' }));
  admin = new CliUser({ VENICE_API_KEY: adminKey, VENICE_BASE_URL: server.url });
  key = await admin.json<CreatedApiKey>(['keys', 'create', '--description', 'worker']);
  for (let i = 0; i < REQUESTS; i++) {
    const r = await chat(key.apiKey);
    if (r.status !== 200) throw new Error(`chat answered ${r.status}: ${await r.text()}`);
    requestIds.push(r.headers.get('x-request-id')!);
    await r.arrayBuffer();
  }
  // Settlement writes the ledger after the answer: wait until every request is in the history.
  while ((await history()).data.length < 2 * REQUESTS) await new Promise((resolve) => setTimeout(resolve, 50));
});
afterAll(async () => {
  admin?.dispose();
  await server?.stop();
  await upstream?.close();
});

describe('usage export', () => {
  it('walks a history of several pages into one CSV, with a progress line per page', async () => {
    const file = join(admin.configHome, 'usage.csv');
    const r = await admin.run(['usage', 'export', '-o', file, '--page-size', '10']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      [
        'Exporting usage: page 1, 10 entries',
        'Exporting usage: page 2, 20 entries',
        'Exporting usage: page 3, 24 entries',
        '',
      ].join('\n'),
    );
    expect(r.stdout).toBe(`Wrote 24 entries (3 pages) to ${file}.\n`);
    const [header, ...rows] = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(header).toMatch(/timestamp/i);
    expect(rows).toHaveLength(2 * REQUESTS);
    const entries = (await history()).data;
    for (const entry of entries) {
      expect(rows.some((row) => row.includes(entry.inferenceDetails!.requestId) && row.includes(entry.sku))).toBe(true);
    }
    expect(new Set(entries.map((e) => e.inferenceDetails!.requestId)).size).toBe(REQUESTS);
  });

  it('matches the server’s own single-page CSV, row for row', async () => {
    const whole = await fetch(`${server.url}/api/v1/billing/usage-history?pageSize=1000`, {
      headers: { authorization: `Bearer ${adminKey}`, accept: 'text/csv' },
    });
    const file = join(admin.configHome, 'paged.csv');
    await admin.run(['usage', 'export', '-o', file, '--page-size', '10']);
    expect(readFileSync(file, 'utf8').trimEnd()).toBe((await whole.text()).trimEnd());
  });

  it('--json reports the file, entries and pages; an existing file is refused unless --force', async () => {
    const file = join(admin.configHome, 'exists.csv');
    writeFileSync(file, 'old');
    const refused = await admin.run(['usage', 'export', '-o', file]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('already exists (--force to overwrite it)');
    expect(readFileSync(file, 'utf8')).toBe('old');
    expect(await admin.json(['usage', 'export', '-o', file, '--force', '--page-size', '10'])).toEqual({
      file,
      entries: 24,
      pages: 3,
    });
  });

  it('filters by window and currency, and writes to stdout with -o -', async () => {
    const none = await admin.run(['usage', 'export', '-o', '-', '--currency', 'DIEM']);
    expect(none.code).toBe(0);
    expect(none.stdout.trimEnd().split('\n')).toHaveLength(1);
    const future = await admin.run(['usage', 'export', '-o', '-', '--since', '2099-01-01']);
    expect(future.stdout.trimEnd().split('\n')).toHaveLength(1);
    const recent = await admin.run(['usage', 'export', '-o', '-', '--since', '1h', '--currency', 'usd']);
    expect(recent.stdout.trimEnd().split('\n')).toHaveLength(1 + 2 * REQUESTS);
    const inference = new CliUser({ VENICE_API_KEY: key.apiKey, VENICE_BASE_URL: server.url });
    expect((await inference.run(['usage', 'export', '-o', '-'])).code).toBe(3);
    inference.dispose();
  });
});

describe('usage', () => {
  it('--json is the wire analytics; people get tables per day, per model and per key', async () => {
    const report = await admin.json<BillingUsageAnalytics>(['usage']);
    const direct = await fetch(`${server.url}/api/v1/billing/usage-analytics?lookback=7d`, {
      headers: { authorization: `Bearer ${adminKey}` },
    });
    expect(report).toEqual(await direct.json());
    expect(report.byModel.map((m) => m.modelName)).toContain(MODEL);
    expect(report.byKey.map((k) => k.apiKeyId)).toContain(key.id);

    const r = await admin.run(['usage'], { env: { COLUMNS: '120' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage over 7d');
    expect(r.stdout).toMatch(/DATE\s+USD\s+DIEM/);
    const model = report.byModel.find((m) => m.modelName === MODEL)!;
    expect(r.stdout).toMatch(new RegExp(`${MODEL}\\s+${model.modelType}\\s+${model.totalUsd}\\s+0\\.00\\s+`));
    expect(r.stdout).toMatch(new RegExp(`${key.id}\\s+worker`));

    const byModel = await admin.run(['usage', '--by', 'model', '--lookback', '30']);
    expect(byModel.stdout).toContain('Usage over 30d');
    expect(byModel.stdout).toContain(MODEL);
    expect(byModel.stdout).not.toContain('DATE');
    expect(byModel.stdout).not.toContain(key.id);
  });

  it('a date range, and an INFERENCE key sees its own usage only', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const ranged = await admin.json<BillingUsageAnalytics>(['usage', '--from', today, '--to', today]);
    expect(ranged.byKey.map((k) => k.apiKeyId)).toContain(key.id);
    expect((await admin.run(['usage', '--from', today])).code).toBe(2);

    const other = await admin.json<CreatedApiKey>(['keys', 'create', '--description', 'idle']);
    const idle = new CliUser({ VENICE_API_KEY: other.apiKey, VENICE_BASE_URL: server.url });
    expect((await idle.json<BillingUsageAnalytics>(['usage'])).byKey).toEqual([]);
    idle.dispose();
  });
});

describe('limits log', () => {
  it('lists a breach that a real request caused', async () => {
    expect((await chat(key.apiKey, TINY)).status).toBe(200);
    expect((await chat(key.apiKey, TINY)).status).toBe(429);
    const log = await admin.json<RateLimitLogsResponse>(['limits', 'log']);
    expect(log.data[0]).toMatchObject({ apiKeyId: key.id, modelId: TINY, rateLimitType: 'RPM' });
    const r = await admin.run(['limits', 'log'], { env: { COLUMNS: '200' } });
    expect(r.stdout).toMatch(/WHEN\s+KEY\s+MODEL\s+LIMIT\s+TIER/);
    expect(r.stdout).toMatch(new RegExp(`${key.id}\\s+${TINY}\\s+RPM\\s+paid`));
  });
});
