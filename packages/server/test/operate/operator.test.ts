import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runOperator } from '../../src/bin/operator.js';
import { openSqliteStore } from '../../src/storage/sqlite.js';
import { bearer, buildTestApp } from '../support/app.js';

const root = mkdtempSync(join(tmpdir(), 'vk-operator-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function operatorOn(dir: string) {
  const env = { DATABASE_URL: `sqlite:${join(dir, 'op.db')}`, VENICE_KEYS_SECRET: 'operator-test-secret-0123456789' };
  return async (...argv: string[]) => {
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
  };
}

const fresh = (name: string) => {
  const dir = join(root, name);
  return { dir, run: operatorOn(dir) };
};

describe('operator command: what it opens', () => {
  it('answers --help and --version without creating anything', async () => {
    const { dir, run } = fresh('help');
    const help = await run('--help');
    expect(help.code).toBe(0);
    expect(help.out).toContain('accounts');
    expect(help.out).toContain('keys');
    const version = await run('--version');
    expect(version).toMatchObject({ code: 0, out: expect.stringMatching(/^\d+\.\d+\.\d+\n$/) });
    expect((await run('keys', 'create', '--help')).out).toContain('--type');
    expect(existsSync(dir)).toBe(false);
  });

  it('refuses a database that does not exist unless --init, and prints the absolute location', async () => {
    const { dir, run } = fresh('init');
    const refused = await run('accounts', 'list');
    expect(refused.code).toBe(1);
    expect(refused.err).toBe(`venice-keys: no database at ${join(dir, 'op.db')} (pass --init to create one there)\n`);
    expect(existsSync(join(dir, 'op.db'))).toBe(false);

    const created = await run('--init', 'accounts', 'list');
    expect(created.code).toBe(0);
    expect(created.err).toBe(`database: ${join(dir, 'op.db')}\n`);
    expect(existsSync(join(dir, 'op.db'))).toBe(true);
    expect((await run('accounts', 'list')).code).toBe(0);
  });
});

describe('operator command: accounts', () => {
  const { dir, run } = fresh('accounts');

  it('creates an account whose first ADMIN key works, lists, credits and sets tier and DIEM', async () => {
    const created = await run('--init', 'accounts', 'create', '--credit', '12.5', '--json');
    expect(created.code).toBe(0);
    const account = JSON.parse(created.out);
    expect(account).toMatchObject({ tier: 'paid', usdBalance: '12.500000', diemEpochAllocation: '0.000000' });
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

  it('refuses amounts outside the API bounds with exit code 2, before writing anything', async () => {
    const account = JSON.parse((await run('accounts', 'create', '--json')).out);
    const before = (await run('accounts', 'list', '--json')).out;
    for (const bad of ['1e400', '10000000000', '18446744073709551616', '-1', 'NaN', 'Infinity', '0x10', '', '1.2.3']) {
      const credit = await run('accounts', 'credit', account.id, bad);
      expect(credit.code, bad).toBe(2);
      expect(credit.err, bad).toMatch(/^error: (not an amount|amount out of range)/m);
      expect((await run('accounts', 'set-diem', account.id, bad)).code, bad).toBe(2);
      expect((await run('accounts', 'create', '--credit', bad)).code, bad).toBe(2);
    }
    expect((await run('accounts', 'credit', account.id, '0')).code).toBe(2);
    expect((await run('accounts', 'list', '--json')).out).toBe(before);
    // The largest amount the API accepts is accepted here too.
    expect(JSON.parse((await run('accounts', 'set-diem', account.id, '9999999999', '--json')).out)).toMatchObject({
      diemEpochAllocation: '9999999999.000000',
    });
  });

  it('debits within the balance only, through the domain (bounds as for credit)', async () => {
    const account = JSON.parse((await run('accounts', 'create', '--credit', '5', '--json')).out);
    expect(JSON.parse((await run('accounts', 'debit', account.id, '1.25', '--json')).out)).toMatchObject({
      usdBalance: '3.750000',
    });
    expect(await run('accounts', 'debit', account.id, '3.750001')).toMatchObject({
      code: 1,
      err: expect.stringContaining('error: Debit exceeds the USD balance\n'),
    });
    for (const bad of ['1e400', '-1', '0', 'NaN'])
      expect((await run('accounts', 'debit', account.id, bad)).code, bad).toBe(2);
    expect(JSON.parse((await run('accounts', 'debit', account.id, '3.75', '--json')).out)).toMatchObject({
      usdBalance: '0.000000',
    });
  });

  it('reports errors of the domain with exit code 1', async () => {
    expect(await run('accounts', 'set-tier', '00000000-0000-4000-8000-000000000000', 'nope')).toMatchObject({
      code: 1,
      err: expect.stringContaining('error: Unknown tier "nope"; known: paid\n'),
    });
    expect(await run('accounts', 'credit', '00000000-0000-4000-8000-000000000000', '5')).toMatchObject({
      code: 1,
      err: expect.stringContaining('error: Account not found\n'),
    });
    expect((await run('accounts', 'bogus')).code).not.toBe(0);
  });
});

describe('operator command: key recovery', () => {
  const { dir, run } = fresh('keys');

  it('creates an ADMIN key for an account (shown once) and lists keys without their secrets', async () => {
    const account = JSON.parse((await run('--init', 'accounts', 'create', '--json')).out);
    const created = await run('keys', 'create', '--account', account.id, '--type', 'ADMIN', '--json');
    expect(created.code).toBe(0);
    const key = JSON.parse(created.out);
    expect(key).toMatchObject({ accountId: account.id, apiKeyType: 'ADMIN', description: 'Operator recovery key' });
    expect(key.apiKey).toMatch(/^VENICE_ADMIN_KEY_[A-Za-z0-9]{44}$/);

    const listed = await run('keys', 'list', '--account', account.id, '--json');
    const rows = listed.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.map((r) => r.id)).toContain(key.id);
    expect(listed.out).not.toContain(key.apiKey);
    expect(listed.out).not.toContain(account.adminKey);
    expect(rows.find((r) => r.id === key.id)).toMatchObject({ last6Chars: key.apiKey.slice(-6) });

    const store = await openSqliteStore(join(dir, 'op.db'));
    const { app } = await buildTestApp(store);
    const list = await app.inject({ method: 'GET', url: '/api/v1/api_keys', headers: bearer(key.apiKey) });
    expect(list.statusCode).toBe(200);
    await app.close();
    await store.close();

    expect((await run('keys', 'create', '--account', account.id, '--type', 'ROOT')).code).not.toBe(0);
    expect((await run('keys', 'create', '--account', account.id, '--description', 'x'.repeat(65))).code).toBe(2);
    expect(await run('keys', 'list', '--account', '00000000-0000-4000-8000-000000000000')).toMatchObject({
      code: 1,
      err: expect.stringContaining('Account not found'),
    });
    // Recovery: the lost key is revoked by its id alone; the new ADMIN key keeps the account reachable.
    const lost = rows.find((r) => r.id !== key.id);
    const revoked = await run('keys', 'revoke', lost.id);
    expect(revoked).toMatchObject({ code: 0, out: expect.stringMatching(/^Revoked key .* of account /) });
    const after = (await run('keys', 'list', '--account', account.id, '--json')).out.trim().split('\n');
    expect(after.map((l) => JSON.parse(l).id)).toEqual([key.id]);
    // The last ADMIN key is guarded here as in the API, and an unknown id is an error.
    expect(await run('keys', 'revoke', key.id)).toMatchObject({
      code: 1,
      err: expect.stringContaining('Cannot revoke the last active ADMIN key'),
    });
    expect(await run('keys', 'revoke', '00000000-0000-4000-8000-000000000000')).toMatchObject({
      code: 1,
      err: expect.stringContaining('error: API key not found'),
    });

    expect(readdirSync(dir).sort()).toEqual(
      ['op.db', 'op.db-shm', 'op.db-wal'].filter((f) => existsSync(join(dir, f))),
    );
  });
});
