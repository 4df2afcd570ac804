import { resolve } from 'node:path';
import { openPostgresStore } from './postgres.js';
import { openSqliteStore } from './sqlite.js';
import type { Store } from './types.js';

/** `sqlite:<path>` (relative to `cwd`) or `postgres://…` / `postgresql://…`. */
export async function openStore(databaseUrl: string, cwd: string = process.cwd()): Promise<Store> {
  if (databaseUrl.startsWith('sqlite:')) {
    const path = databaseUrl.slice('sqlite:'.length);
    return openSqliteStore(path === ':memory:' ? path : resolve(cwd, path));
  }
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) return openPostgresStore(databaseUrl);
  throw new Error('DATABASE_URL must start with sqlite: or postgres://');
}
