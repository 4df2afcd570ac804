import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/storage/sqlite.js';
import { bearer, buildTestApp, newAccount } from '../support/app.js';

const WRITER = fileURLToPath(new URL('../support/sqlite-writer.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'vk-writers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the writer process; resolves with its stdout once `until` appears in it (or it exits). */
function writer(args: string[], until?: string): { out: Promise<string>; exited: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let text = '';
  let seen: (t: string) => void = () => {};
  const out = new Promise<string>((resolve) => {
    seen = resolve;
  });
  child.stdout.on('data', (d: Buffer) => {
    text += d.toString();
    if (until && text.includes(until)) seen(text);
  });
  const exited = new Promise<string>((resolve) => child.on('exit', () => resolve(text)));
  void exited.then(seen);
  return { out, exited };
}

/** Issue 10 item 5: SQLite takes a second writer; contention is never a 500. */
describe('several writers on one SQLite file', () => {
  it('three processes and this one creating keys at once all succeed (was "database is locked")', async () => {
    const path = join(dir, 'shared.db');
    const store = await openSqliteStore(path);
    const t = await buildTestApp(store, { config: { limits: { keyCreatesPerMinute: 100_000 } } });
    const acct = await newAccount(t);
    const others = [1, 2, 3].map(() => writer(['create', path, '40']));
    const here = [];
    for (let i = 0; i < 40; i++) {
      here.push(
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/api_keys',
          headers: { ...bearer(acct.adminKey), 'content-type': 'application/json' },
          payload: JSON.stringify({ apiKeyType: 'INFERENCE', description: `here ${i}` }),
        }),
      );
    }
    const results = (await Promise.all(others.map((w) => w.exited))).map((o) => JSON.parse(o));
    expect(results).toEqual([1, 2, 3].map(() => ({ ok: 40, errors: [] })));
    expect(here.map((r) => r.statusCode)).toEqual(Array(40).fill(200));
    await t.app.close();
    await store.close();
  });

  it('a writer held up beyond busy_timeout answers 503, and the next request succeeds', async () => {
    const path = join(dir, 'held.db');
    const store = await openSqliteStore(path, { busyTimeoutMs: 100 });
    const t = await buildTestApp(store);
    const acct = await newAccount(t);
    const holder = writer(['hold', path, '1500'], 'locked');
    await holder.out;
    const create = () =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/api_keys',
        headers: { ...bearer(acct.adminKey), 'content-type': 'application/json' },
        payload: JSON.stringify({ apiKeyType: 'INFERENCE', description: 'busy' }),
      });
    const busy = await create();
    expect(busy.statusCode).toBe(503);
    expect(busy.json()).toEqual({ error: 'Database temporarily unavailable, please retry' });
    await holder.exited;
    expect((await create()).statusCode).toBe(200);
    await t.app.close();
    await store.close();
  });
});
