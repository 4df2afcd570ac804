import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import { openRuntime } from '../../src/runtime.js';
import { locateDatabase } from '../../src/startup/database.js';
import { StartupError } from '../../src/startup/errors.js';
import { resolveServerSecret, secretFileOf } from '../../src/startup/secret.js';
import { openSqliteStore } from '../../src/storage/sqlite.js';
import { postgresFactory } from '../support/stores.js';

const root = mkdtempSync(join(tmpdir(), 'vk-secret-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const configFor = (databaseUrl: string, secret?: string) =>
  resolveConfig({}, { DATABASE_URL: databaseUrl, ...(secret ? { VENICE_KEYS_SECRET: secret } : {}) });
const modeOf = (path: string) => statSync(path).mode & 0o777;
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe('the server secret on SQLite', () => {
  it('is generated once into a mode-0600 file beside a mode-0600 database, never into the database', async () => {
    const db = join(root, 'fresh', 'keys.db');
    const first = await openRuntime(configFor(`sqlite:${db}`), { serving: false });
    expect(first.secretSource).toBe(`${db}.secret`);
    expect(await first.store.getSetting('server_secret')).toBeUndefined();
    await first.close();
    expect(modeOf(db)).toBe(0o600);
    expect(modeOf(`${db}.secret`)).toBe(0o600);
    expect(readFileSync(`${db}.secret`, 'utf8').trim()).toBe(text(first.serverSecret));

    const second = await openRuntime(configFor(`sqlite:${db}`), { serving: false });
    expect(text(second.serverSecret)).toBe(text(first.serverSecret));
    await second.close();
  });

  it('moves a secret an older version kept in the database into the file, and deletes the row', async () => {
    const db = join(root, 'legacy.db');
    const old = await openSqliteStore(db);
    await old.initSetting('server_secret', 'legacy-secret-kept-in-the-database');
    await old.close();

    const runtime = await openRuntime(configFor(`sqlite:${db}`), { serving: false });
    expect(text(runtime.serverSecret)).toBe('legacy-secret-kept-in-the-database');
    expect(await runtime.store.getSetting('server_secret')).toBeUndefined();
    await runtime.close();
    expect(readFileSync(secretFileOf(db), 'utf8').trim()).toBe('legacy-secret-kept-in-the-database');
    expect(modeOf(secretFileOf(db))).toBe(0o600);
  });

  it('prefers VENICE_KEYS_SECRET, writes no file, and still deletes a legacy row', async () => {
    const db = join(root, 'env.db');
    const old = await openSqliteStore(db);
    await old.initSetting('server_secret', 'legacy-secret-kept-in-the-database');
    await old.close();
    const runtime = await openRuntime(configFor(`sqlite:${db}`, 'from-the-environment-0123456789'), {
      serving: false,
    });
    expect(runtime.secretSource).toBe('VENICE_KEYS_SECRET');
    expect(text(runtime.serverSecret)).toBe('from-the-environment-0123456789');
    expect(await runtime.store.getSetting('server_secret')).toBeUndefined();
    await runtime.close();
    expect(() => statSync(secretFileOf(db))).toThrow();
  });

  it('tightens a secret file that became readable by others, and refuses an empty one', async () => {
    const db = join(root, 'loose.db');
    writeFileSync(secretFileOf(db), 'a-secret-that-others-could-read\n', { mode: 0o644 });
    const runtime = await openRuntime(configFor(`sqlite:${db}`), { serving: false });
    expect(text(runtime.serverSecret)).toBe('a-secret-that-others-could-read');
    await runtime.close();
    expect(modeOf(secretFileOf(db))).toBe(0o600);

    const empty = join(root, 'empty.db');
    writeFileSync(secretFileOf(empty), '\n', { mode: 0o600 });
    await expect(openRuntime(configFor(`sqlite:${empty}`), { serving: false })).rejects.toThrow(
      `the server secret file ${secretFileOf(empty)} is empty or too short`,
    );
  });
});

describe('the server secret on PostgreSQL', () => {
  it('is required, named, before any connection is tried', async () => {
    const attempt = openRuntime(configFor('postgres://venice:pw@127.0.0.1:1/keys'), { serving: false });
    await expect(attempt).rejects.toBeInstanceOf(StartupError);
    await expect(attempt).rejects.toThrow(/^VENICE_KEYS_SECRET is required with PostgreSQL/);
  });

  it('deletes the row an older version kept in the database', async (t) => {
    if (!(await postgresFactory.available())) return t.skip();
    const { store, dispose } = await postgresFactory.open();
    try {
      await store.initSetting('server_secret', 'legacy-secret-kept-in-the-database');
      const location = locateDatabase('postgres://postgres@127.0.0.1:5432/test');
      const { secret } = await resolveServerSecret('shared-by-every-instance-0123', location, store);
      expect(text(secret)).toBe('shared-by-every-instance-0123');
      expect(await store.getSetting('server_secret')).toBeUndefined();
    } finally {
      await dispose();
    }
  });
});
