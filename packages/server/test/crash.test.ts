import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { POSTGRES_URL, postgresFactory } from './support/stores.js';

/**
 * Crash safety of the real server process: SIGKILL in the middle of a create storm, restart on the
 * same database, and every key whose create was answered 200 must be there and authenticate.
 */

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const children = new Set<ChildProcess>();
const dir = mkdtempSync(join(tmpdir(), 'vk-crash-'));
const config = join(dir, 'config.json');
writeFileSync(config, JSON.stringify({ limits: { keyCreatesPerMinute: 100_000, maxActiveKeys: 100_000 } }));

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function startServer(databaseUrl: string): Promise<{ child: ChildProcess; base: string; stdout: () => string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    cwd: REPO,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      VENICE_KEYS_CONFIG: config,
      VENICE_KEYS_SECRET: 'crash-test-secret',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  const base = `http://127.0.0.1:${port}/api/v1`;
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`server exited early: ${out}`);
    const up = await fetch(`${base}/nope`).then(
      (r) => r.status === 404,
      () => false,
    );
    if (up) return { child, base, stdout: () => out };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server did not start: ${out}`);
}

async function crashAndRecover(databaseUrl: string) {
  const first = await startServer(databaseUrl);
  const adminKey = /VENICE_ADMIN_KEY_[A-Za-z0-9]{44}/.exec(first.stdout())?.[0] as string;
  expect(adminKey).toBeDefined();
  const answered: { id: string; secret: string }[] = [];
  let killed = false;
  const storm = async (worker: number) => {
    for (let i = 0; !killed; i++) {
      try {
        const res = await fetch(`${first.base}/api_keys`, {
          method: 'POST',
          headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ apiKeyType: 'INFERENCE', description: `storm ${worker}-${i}` }),
        });
        if (res.status === 200) {
          const { data } = (await res.json()) as { data: { id: string; apiKey: string } };
          if (!killed) answered.push({ id: data.id, secret: data.apiKey });
        }
      } catch {
        return; // the server is gone
      }
      if (answered.length >= 80 && !killed) {
        killed = true;
        first.child.kill('SIGKILL');
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, (_, w) => storm(w)));
  const exited = () => first.child.exitCode !== null || first.child.signalCode !== null;
  await new Promise<void>((resolve) => (exited() ? resolve() : first.child.once('exit', () => resolve())));
  expect(first.child.signalCode).toBe('SIGKILL');
  expect(answered.length).toBeGreaterThanOrEqual(80);

  const second = await startServer(databaseUrl);
  try {
    const listed = await fetch(`${second.base}/api_keys`, { headers: { authorization: `Bearer ${adminKey}` } });
    const ids = new Set(((await listed.json()) as { data: { id: string }[] }).data.map((k: { id: string }) => k.id));
    for (const k of answered) expect(ids.has(k.id), k.id).toBe(true);
    for (let i = 0; i < answered.length; i += 16) {
      const statuses = await Promise.all(
        answered
          .slice(i, i + 16)
          .map((k) =>
            fetch(`${second.base}/api_keys/rate_limits`, { headers: { authorization: `Bearer ${k.secret}` } }).then(
              (r) => r.status,
            ),
          ),
      );
      expect(statuses.every((s) => s === 200)).toBe(true);
    }
  } finally {
    second.child.kill('SIGTERM');
  }
  return answered.length;
}

const postgresUp = await postgresFactory.available();

describe('crash safety', () => {
  it('on SQLite: every key answered 200 survives SIGKILL and authenticates after restart', async () => {
    const n = await crashAndRecover(`sqlite:${join(dir, 'crash.db')}`);
    console.log(`crash test (sqlite): ${n} answered creates all present after SIGKILL`);
  }, 60_000);

  it.skipIf(!postgresUp)(
    'on PostgreSQL: every key answered 200 survives SIGKILL and authenticates after restart',
    async () => {
      const schema = `crash_${randomBytes(5).toString('hex')}`;
      const admin = new pg.Client({ connectionString: POSTGRES_URL });
      await admin.connect();
      await admin.query(`create schema ${schema}`);
      try {
        // pg reads libpq's `options` from the URL; '+' would not decode to a space, so encode by hand.
        const sep = POSTGRES_URL.includes('?') ? '&' : '?';
        const n = await crashAndRecover(
          `${POSTGRES_URL}${sep}options=${encodeURIComponent(`-c search_path=${schema}`)}`,
        );
        const { rows } = await admin.query(`select count(*)::int as n from ${schema}.api_keys`);
        expect(rows[0].n).toBeGreaterThanOrEqual(n);
        console.log(`crash test (postgres): ${n} answered creates all present after SIGKILL`);
      } finally {
        await admin.query(`drop schema if exists ${schema} cascade`);
        await admin.end();
      }
    },
    60_000,
  );
});
