import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/storage/sqlite.js';
import { startSqliteWorker } from '../../src/storage/sqlite-worker.js';
import { settlement } from '../support/settlement.js';

const dir = mkdtempSync(join(tmpdir(), 'vk-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('SQLite WAL checkpoints off the event loop', () => {
  /** Writes 4 phases of settlements through a store over `path`; the WAL file's size after each. */
  async function writePhases(path: string, checkpointIntervalMs: number) {
    const store = await openSqliteStore(path, { checkpointIntervalMs });
    const walAfter: number[] = [];
    for (let phase = 0; phase < 4; phase++) {
      for (let batch = 0; batch < 20; batch++) {
        await store.ledger.record(Array.from({ length: 200 }, () => settlement()));
        await pause(5);
      }
      walAfter.push(statSync(`${path}-wal`).size);
    }
    const runs = await store.worker?.runs();
    await store.close();
    return { walAfter, runs };
  }

  it('keeps the WAL bounded by checkpointing from its worker, and loses nothing', async () => {
    // The same writes with a checkpointer that never gets to run: the WAL holds all of them.
    const unbounded = await writePhases(join(dir, 'unbounded.db'), 1e9);
    const path = join(dir, 'bounded.db');
    const bounded = await writePhases(path, 20);
    expect(unbounded.runs).toBe(0);
    expect(bounded.runs).toBeGreaterThan(5);
    // A checkpointed WAL is written again from its start, so its file stops growing; a loaded machine
    // may delay a pass or two, hence half of the unbounded size rather than one phase's.
    expect(bounded.walAfter[3]).toBeLessThan((unbounded.walAfter[3] as number) / 2);

    const check = new BetterSqlite3(path, { readonly: true });
    expect(check.prepare('select count(*) as n from usage_ledger').get()).toEqual({ n: 4 * 20 * 200 });
    check.close();
  });

  it('turns the writer’s automatic checkpoint off, and back on when the worker fails', async () => {
    const said: string[] = [];
    const writer = { pragma: (source: string) => said.push(source) };
    const failures: Error[] = [];
    const checkpointer = startSqliteWorker(join(dir, 'missing', 'nothing.db'), writer, {
      onError: (e) => failures.push(e),
    });
    expect(said).toEqual(['wal_autocheckpoint = 0']);
    for (let i = 0; i < 200 && failures.length === 0; i++) await pause(10);
    expect(failures).toHaveLength(1);
    expect(said).toEqual(['wal_autocheckpoint = 0', 'wal_autocheckpoint = 1000']);
    await checkpointer.stop();
  });
});
