import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UpstreamHandle } from '../../../../tests/support/upstream/server.js';
import { spawnUpstream } from '../../../../tests/support/upstream/spawn.js';
import { ensureBuilt, type Running, servingSetup, start } from './process.js';

/**
 * The compiled server with metrics on, in front of the test upstream: metrics scraped and parsed,
 * then a graceful SIGTERM while a stream is in flight.
 */

type Samples = Map<string, number>;

/** Prometheus text → `name{label="v",…}` → value (labels in the order the registry prints them). */
function parseMetrics(text: string): Samples {
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (!m) throw new Error(`not Prometheus text: ${line}`);
    samples.set(m[1] as string, Number(m[2]));
  }
  return samples;
}

const sum = (samples: Samples, prefix: string) =>
  [...samples].filter(([k]) => k.startsWith(prefix)).reduce((n, [, v]) => n + v, 0);

describe('a serving process', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'vk-serve-'));
  let upstream: UpstreamHandle;
  let server: Running;
  let base: string;
  let metricsUrl: string;
  let adminKey: string;
  let accountId: string;
  let env: Record<string, string> = {};

  beforeAll(async () => {
    ensureBuilt();
    upstream = await spawnUpstream();
    ({ env, adminKey, accountId } = servingSetup(cwd, upstream, 'm?chunkDelay=150&completion=12', {
      METRICS_PORT: '0',
      SHUTDOWN_GRACE_MS: '20000',
    }));
    server = start([], { cwd, env });
    metricsUrl = (await server.logLine((m) => m === 'metrics listening')).metrics as string;
    base = (await server.logLine((m) => m === 'venice-keys listening')).address as string;
  }, 120_000);

  afterAll(async () => {
    server?.child.kill('SIGKILL');
    await upstream?.close();
    rmSync(cwd, { recursive: true, force: true });
  });

  const auth = () => ({ authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' });
  const chat = (stream: boolean) =>
    fetch(`${base}/api/v1/chat/completions`, {
      method: 'POST',
      headers: auth(),
      body: JSON.stringify({ model: 'steady', messages: [{ role: 'user', content: 'hi' }], stream }),
    });

  it('serves Prometheus metrics on its own port: requests, auth cache, admissions, upstream, ledger', async () => {
    expect((await fetch(`${base}/api/v1/api_keys`, { headers: auth() })).status).toBe(200);
    expect((await fetch(`${base}/api/v1/api_keys`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    const answer = await chat(false);
    expect(answer.status).toBe(200);
    await answer.json();
    // The API port does not serve metrics, and the metrics port serves nothing else.
    expect((await fetch(`${base}/metrics`)).status).toBe(404);
    expect((await fetch(metricsUrl.replace('/metrics', '/other'))).status).toBe(404);

    let samples: Samples = new Map();
    for (let i = 0; i < 50; i++) {
      samples = parseMetrics(await (await fetch(metricsUrl)).text());
      if (sum(samples, 'venice_keys_ledger_batch_lag_seconds_count') >= 1) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(samples.get('venice_keys_http_requests_total{method="GET",route="/api/v1/api_keys",status="200"}')).toBe(1);
    expect(samples.get('venice_keys_http_requests_total{method="GET",route="/api/v1/api_keys",status="401"}')).toBe(1);
    expect(
      samples.get('venice_keys_http_requests_total{method="POST",route="/api/v1/chat/completions",status="200"}'),
    ).toBe(1);
    expect(samples.get('venice_keys_http_request_duration_seconds_count{method="GET",route="/api/v1/api_keys"}')).toBe(
      2,
    );
    expect(sum(samples, 'venice_keys_auth_cache_total{result="miss"}')).toBeGreaterThanOrEqual(1);
    expect(samples.get('venice_keys_admissions_total{outcome="admitted",limit="none"}')).toBe(1);
    expect(sum(samples, 'venice_keys_upstream_duration_seconds_count')).toBe(1);
    expect(sum(samples, 'venice_keys_ledger_batch_lag_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(samples.get('venice_keys_reservations_outstanding')).toBe(0);
    expect(samples.has('venice_keys_process_resident_memory_bytes')).toBe(true);
  });

  it('on SIGTERM lets a stream in flight finish, settles it, flushes the ledger and exits 0', async () => {
    const res = await chat(true);
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = decoder.decode((await reader.read()).value);
    server.child.kill('SIGTERM');
    await server.logLine((m) => m.startsWith('shutting down'));
    // Nothing new is accepted once the stop began.
    const late = await fetch(`${base}/api/v1/api_keys`, { headers: auth() }).then(
      (r) => r.status,
      () => 'refused',
    );
    expect([503, 'refused']).toContain(late);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    expect(text).toContain('"usage"');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(await server.exit()).toEqual({ code: 0, signal: null });
    expect(server.output()).not.toContain('grace period over');

    // Both requests were settled into the ledger before the process closed the database.
    const db = new Database(join(cwd, 'keys.db'), { readonly: true });
    const requests = db
      .prepare('select count(distinct request_id) as n from usage_ledger where account_id = ?')
      .get(accountId) as { n: number };
    const balance = db.prepare('select usd_balance from accounts where id = ?').get(accountId) as {
      usd_balance: number;
    };
    db.close();
    expect(requests.n).toBe(2);
    expect(BigInt(balance.usd_balance)).toBeLessThan(10_000_000n);
  });
});
