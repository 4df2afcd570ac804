import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore, type SqliteStore } from '../../src/storage/sqlite.js';
import { settlement } from '../support/settlement.js';

/**
 * Ledger batches of a SQLite file are written by the store's worker thread, off the event loop. The
 * same batches written on the event loop (in memory, or once the worker is gone) must leave the same
 * rows and return the same charges: idempotent per reservation, a reservation twice in a batch once.
 */
const dir = mkdtempSync(join(tmpdir(), 'vk-ledger-worker-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const HOLDER = fileURLToPath(new URL('../support/sqlite-writer.ts', import.meta.url));

/** What the database holds after the scenario: lines, settled reservations, and the day's USD. */
function contents(path: string) {
  const db = new BetterSqlite3(path, { readonly: true });
  const one = (sql: string) => Object.values(db.prepare(sql).get() as object)[0];
  const out = {
    lines: one('select count(*) from usage_ledger'),
    settled: one('select count(*) from settled_reservations'),
    dailyUsd: one('select sum(usd) from usage_daily'),
    perModelRequests: one('select sum(requests) from usage_daily_model'),
  };
  db.close();
  return out;
}

async function scenario(store: SqliteStore) {
  const a = settlement(5n);
  const b = settlement(7n);
  const first = await store.ledger.record([a, b]);
  // Again, with b charged differently and twice, beside a new one: only the new one is written.
  const c = settlement(11n);
  const again = await store.ledger.record([
    { ...b, charge: { usd: 1n, diem: 0n } },
    c,
    settlement(13n, b.reservationId),
  ]);
  // A reservation twice in one fresh batch: claimed once, both get the first one's charge.
  const d = settlement(17n);
  const twice = await store.ledger.record([d, { ...d, charge: { usd: 19n, diem: 0n } }]);
  return { first, again, twice };
}

const usd = (...v: bigint[]) => v.map((u) => ({ usd: u, diem: 0n }));

describe('SQLite ledger batches in the worker thread', () => {
  it('write what the event loop writes, and return the same charges', async () => {
    const results = [];
    for (const ledgerOnEventLoop of [false, true]) {
      const path = join(dir, `same-${ledgerOnEventLoop}.db`);
      const store = await openSqliteStore(path, { ledgerOnEventLoop });
      const r = await scenario(store);
      await store.close();
      results.push({ ...r, contents: contents(path) });
    }
    const [worker, here] = results;
    expect(worker).toEqual(here);
    expect(worker).toMatchObject({
      first: usd(5n, 7n),
      again: usd(7n, 11n, 7n),
      twice: usd(17n, 17n),
      contents: { lines: 4, settled: 4, dailyUsd: 40, perModelRequests: 4 },
    });
  });

  it('goes on, on the event loop, once the worker has stopped', async () => {
    const path = join(dir, 'stopped.db');
    const store = await openSqliteStore(path);
    await store.ledger.record([settlement(3n)]);
    expect(store.worker?.alive).toBe(true);
    await store.worker?.stop();
    expect(store.worker?.alive).toBe(false);
    expect(await store.ledger.record([settlement(4n)])).toEqual(usd(4n));
    await store.close();
    expect(contents(path)).toMatchObject({ lines: 2, dailyUsd: 7 });
  });

  it('a write lock held elsewhere beyond busy_timeout is the 503 the ledger writer retries, never a lost batch', async () => {
    const path = join(dir, 'busy.db');
    const store = await openSqliteStore(path, { busyTimeoutMs: 100 });
    const holder = spawn(process.execPath, ['--import', 'tsx', HOLDER, 'hold', path, '1500'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => holder.stdout.on('data', (d: Buffer) => d.includes('locked') && resolve()));
    const exited = new Promise((resolve) => holder.on('exit', resolve));
    await expect(store.ledger.record([settlement(3n)])).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: 'Database temporarily unavailable, please retry',
    });
    await exited;
    expect(await store.ledger.record([settlement(4n)])).toEqual(usd(4n));
    await store.close();
    expect(contents(path)).toMatchObject({ lines: 1, dailyUsd: 4 });
  });
});
