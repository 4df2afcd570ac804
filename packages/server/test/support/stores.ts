import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openPostgresStore } from '../../src/storage/postgres.js';
import { openSqliteStore } from '../../src/storage/sqlite.js';
import type { Store } from '../../src/storage/types.js';

export const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function reachable(check: () => Promise<unknown>): Promise<boolean> {
  try {
    await check();
    return true;
  } catch {
    return false;
  }
}

export const postgresReachable = reachable(async () => {
  const c = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2_000 });
  await c.connect();
  await c.end();
});

/**
 * Whether a suite that needs a service runs. In CI a missing service is a failure, never a skip;
 * elsewhere the suite skips and says so loudly.
 */
export async function serviceAvailable(name: string, available: Promise<boolean>): Promise<boolean> {
  if (await available) return true;
  if (process.env.CI) throw new Error(`${name} is required in CI but is not reachable`);
  console.warn(`\n\n*** ${name} is not reachable: its suites are SKIPPED (they run in CI) ***\n`);
  return false;
}

export interface StoreFactory {
  name: 'sqlite' | 'postgres';
  /** Whether this engine can run here (PostgreSQL may be missing outside CI). */
  available(): Promise<boolean>;
  /** A fresh, empty, migrated store of its own; `dispose` drops it. */
  open(): Promise<{ store: Store; dispose(): Promise<void>; path?: string; schema?: string }>;
}

export const sqliteFactory: StoreFactory = {
  name: 'sqlite',
  available: async () => true,
  async open() {
    // A file, as in production: the hot reads then take their own read-only connection.
    const dir = mkdtempSync(join(tmpdir(), 'vk-store-'));
    const path = join(dir, 'test.db');
    const store = await openSqliteStore(path);
    return {
      store,
      path,
      async dispose() {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

export const postgresFactory: StoreFactory = {
  name: 'postgres',
  available: () => serviceAvailable('PostgreSQL', postgresReachable),
  async open() {
    // A schema per store keeps parallel test files apart in the one shared database.
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const store = await openPostgresStore(POSTGRES_URL, { schema, maxConnections: 20 });
    return {
      store,
      schema,
      async dispose() {
        await store.close();
        const c = new pg.Client({ connectionString: POSTGRES_URL });
        await c.connect();
        await c.query(`drop schema if exists ${schema} cascade`);
        await c.end();
      },
    };
  },
};

export const storeFactories: StoreFactory[] = [sqliteFactory, postgresFactory];
