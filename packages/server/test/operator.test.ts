import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runOperator } from '../src/bin/operator.js';
import { openSqliteStore } from '../src/storage/sqlite.js';
import { bearer, buildTestApp } from './support/app.js';

describe('operator command', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vk-operator-'));
  const env = { DATABASE_URL: `sqlite:${join(dir, 'op.db')}`, VENICE_KEYS_SECRET: 'operator-test-secret' };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function run(...argv: string[]) {
    let out = '';
    let err = '';
    const code = await runOperator(argv, {
      env,
      out: (t) => {
        out += t;
      },
      err: (t) => {
        err += t;
      },
    });
    return { code, out, err };
  }

  it('creates an account whose first ADMIN key works, lists, credits and sets tier and DIEM', async () => {
    const created = await run('accounts', 'create', '--credit', '12.5', '--json');
    expect(created.code).toBe(0);
    const account = JSON.parse(created.out);
    expect(account).toMatchObject({
      tier: 'paid',
      usdBalance: '12.500000',
      diemEpochAllocation: '0.000000',
      walletAddress: null,
    });
    expect(account.adminKey).toMatch(/^VENICE_ADMIN_KEY_[A-Za-z0-9]{44}$/);

    const credit = await run('accounts', 'credit', account.id, '0.0000005', '--json');
    expect(JSON.parse(credit.out).usdBalance).toBe('12.500001');
    expect((await run('accounts', 'set-diem', account.id, '100')).out).toBe(
      `Account ${account.id} DIEM per epoch: 100.000000\n`,
    );
    expect((await run('accounts', 'set-tier', account.id, 'paid')).code).toBe(0);

    const list = await run('accounts', 'list', '--json');
    expect(
      list.out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).id),
    ).toContain(account.id);

    // The key printed by the operator authenticates against a server on the same database.
    const store = await openSqliteStore(join(dir, 'op.db'));
    const { app } = await buildTestApp(store);
    const balance = await app.inject({
      method: 'GET',
      url: '/api/v1/billing/balance',
      headers: bearer(account.adminKey),
    });
    expect(balance.json()).toEqual({
      canConsume: true,
      consumptionCurrency: 'DIEM',
      balances: { diem: 100, usd: 12.500001 },
      diemEpochAllocation: 100,
    });
    await app.close();
    await store.close();
  });

  it('reports bad input with an error and a non-zero exit code', async () => {
    expect(await run('accounts', 'set-tier', '00000000-0000-4000-8000-000000000000', 'nope')).toEqual({
      code: 1,
      out: '',
      err: 'error: Unknown tier "nope"; known: paid\n',
    });
    expect(await run('accounts', 'credit', '00000000-0000-4000-8000-000000000000', '5')).toMatchObject({
      code: 1,
      err: 'error: Account not found\n',
    });
    expect(await run('accounts', 'credit', 'x', 'five')).toMatchObject({ code: 2 });
    expect((await run('accounts', 'bogus')).code).not.toBe(0);
  });
});
