/**
 * A second process writing to a SQLite file, as the operator command does while the server runs.
 *   create <path> <count>: creates an account and <count> keys, one transaction each; prints {ok, errors}
 *   hold <path> <ms>: takes the write lock with BEGIN IMMEDIATE, prints "locked", holds it <ms>, commits
 */
import BetterSqlite3 from 'better-sqlite3';
import { resolveConfig } from '../../src/config.js';
import { MemoryLimitCounters } from '../../src/counters/memory.js';
import { systemClock } from '../../src/domain/clock.js';
import { withKeyDefaults } from '../../src/domain/keys.js';
import { buildRuntime } from '../../src/runtime.js';
import { openSqliteStore } from '../../src/storage/sqlite.js';

const [mode, path, amount] = process.argv.slice(2) as [string, string, string];

if (mode === 'hold') {
  const db = new BetterSqlite3(path);
  db.pragma('busy_timeout = 5000');
  db.exec('begin immediate');
  db.prepare("insert into settings (name, value) values ('held', 'yes') on conflict (name) do nothing").run();
  process.stdout.write('locked\n');
  setTimeout(() => {
    db.exec('commit');
    db.close();
  }, Number(amount));
} else {
  const store = await openSqliteStore(path);
  const config = resolveConfig({ limits: { keyCreatesPerMinute: 100_000, maxActiveKeys: 100_000 } });
  const secret = new TextEncoder().encode('writer-secret-0123456789abcdef0123');
  const counters = new MemoryLimitCounters();
  const { services, close } = buildRuntime({ config, store, counters, serverSecret: secret, clock: systemClock });
  const account = await services.accounts.create();
  let ok = 0;
  const errors: string[] = [];
  for (let i = 0; i < Number(amount); i++) {
    try {
      await services.keys.create(account.id, withKeyDefaults({ type: 'INFERENCE', description: `w${i}` }));
      ok++;
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  process.stdout.write(`${JSON.stringify({ ok, errors })}\n`);
  await close();
}
