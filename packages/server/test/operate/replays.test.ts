import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import { openRuntime } from '../../src/runtime.js';
import { bearer, buildTestApp, newAccount } from '../support/app.js';
import { ManualClock } from '../support/clock.js';
import { sqliteFactory } from '../support/stores.js';

const HOUR = 3_600_000;

/** Idempotency replays hold sealed secrets: none outlives its 24 h in the database. */
describe('idempotency replay pruning', () => {
  it('deletes exactly the replays whose 24 h are over', async () => {
    const { store, dispose } = await sqliteFactory.open();
    const clock = new ManualClock();
    const t = await buildTestApp(store, { clock });
    try {
      const account = await newAccount(t);
      const create = (key: string) =>
        t.app.inject({
          method: 'POST',
          url: '/api/v1/api_keys',
          headers: { ...bearer(account.adminKey), 'idempotency-key': key },
          payload: { apiKeyType: 'INFERENCE', description: `replay ${key}` },
        });
      const first = (await create('first')).json().data;
      clock.advance(12 * HOUR);
      const second = (await create('second')).json().data;
      clock.advance(12 * HOUR);
      expect(await store.pruneIdempotency(clock.now())).toBe(1);
      expect(await store.pruneIdempotency(clock.now())).toBe(0);
      // The younger replay still answers with the same key; the pruned one is gone for good.
      expect((await create('second')).json().data).toEqual(second);
      expect((await create('first')).json().data.id).not.toBe(first.id);
    } finally {
      await t.app.close();
      await dispose();
    }
  });

  it('runs when a server opens its runtime', async () => {
    const { store, path, dispose } = await sqliteFactory.open();
    const t = await buildTestApp(store, { clock: new ManualClock(Date.UTC(2025, 0, 1)) });
    const account = await newAccount(t);
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/api_keys',
      headers: { ...bearer(account.adminKey), 'idempotency-key': 'old' },
      payload: { apiKeyType: 'INFERENCE', description: 'old replay' },
    });
    await t.app.close();
    await store.close();
    const count = () => {
      const db = new Database(path as string, { readonly: true });
      const n = (db.prepare('select count(*) as n from idempotency').get() as { n: number }).n;
      db.close();
      return n;
    };
    expect(count()).toBe(1);
    const config = resolveConfig(
      {},
      { DATABASE_URL: `sqlite:${path}`, VENICE_KEYS_SECRET: 'replay-test-secret-012345' },
    );
    const runtime = await openRuntime(config);
    while (count() > 0) await new Promise((r) => setTimeout(r, 20));
    await runtime.close();
    expect(count()).toBe(0);
    await dispose();
  });
});
