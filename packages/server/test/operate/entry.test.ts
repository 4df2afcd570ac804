import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/storage/sqlite.js';
import { ADMIN, ensureBuilt, MAIN, runToEnd, SERVER_ROOT, start } from './process.js';

const root = mkdtempSync(join(tmpdir(), 'vk-entry-'));
const immutable: string[] = [];
beforeAll(() => ensureBuilt(), 120_000);
afterAll(() => {
  for (const path of immutable) execFileSync('chattr', ['-i', path]);
  rmSync(root, { recursive: true, force: true });
});

const dirFor = (name: string) => {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  return dir;
};
const version = JSON.parse(readFileSync(join(SERVER_ROOT, 'package.json'), 'utf8')).version as string;
const NO_STACK = /\n\s+at /;

describe('--help and --version', () => {
  it('are answered by the server entry, its bin and the operator before anything is opened', () => {
    const cwd = dirFor('help');
    for (const entry of [MAIN, join(SERVER_ROOT, 'bin/venice-keys-server.mjs')]) {
      const help = runToEnd(entry, ['--help'], { cwd });
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/^Usage: venice-keys-server/);
      expect(runToEnd(entry, ['--version'], { cwd })).toMatchObject({ code: 0, stdout: `${version}\n` });
    }
    for (const entry of [ADMIN, join(SERVER_ROOT, 'bin/venice-keys-admin.mjs')]) {
      expect(runToEnd(entry, ['--help'], { cwd }).stdout).toMatch(/^Usage: venice-keys-admin/);
      expect(runToEnd(entry, ['--version'], { cwd })).toMatchObject({ code: 0, stdout: `${version}\n` });
    }
    const unknown = runToEnd(MAIN, ['--serve-forever'], { cwd });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^venice-keys-server: unknown argument "--serve-forever"/);
    // Nothing was created: no ./data, no database, no account.
    expect(readdirSync(cwd)).toEqual([]);
  });
});

describe('the first start', () => {
  it('writes the first ADMIN key to a 0600 file beside the database when stdout is not a terminal, and logs only its path', async () => {
    const cwd = dirFor('first');
    const db = join(cwd, 'state', 'keys.db');
    const server = start([], { cwd, env: { DATABASE_URL: 'sqlite:state/keys.db', PORT: '0' } });
    try {
      const opened = await server.logLine((m) => m === 'database opened');
      expect(opened.database).toBe(db);
      const listening = await server.logLine((m) => m === 'venice-keys listening');
      const created = await server.logLine((m) => m.startsWith('first account created'));
      expect(created.path).toBe(join(cwd, 'state', 'first-admin-key.txt'));
      const file = created.path as string;
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const key = /VENICE_ADMIN_KEY_[A-Za-z0-9]{44}/.exec(readFileSync(file, 'utf8'))?.[0] as string;
      expect(key).toBeDefined();
      expect(server.output()).not.toContain(key);
      expect(statSync(db).mode & 0o777).toBe(0o600);
      expect(statSync(`${db}.secret`).mode & 0o777).toBe(0o600);

      const res = await fetch(`${listening.address}/api/v1/api_keys`, { headers: { authorization: `Bearer ${key}` } });
      expect(res.status).toBe(200);
      const line = await server.logLine((m) => m === 'request completed');
      expect(line).toMatchObject({
        route: '/api/v1/api_keys',
        status: 200,
        accountId: created.accountId,
        keyId: created.keyId,
      });
      expect(server.output()).not.toContain(key);
    } finally {
      server.child.kill('SIGTERM');
      expect(await server.exit()).toEqual({ code: 0, signal: null });
    }
  });

  it('prints the key of an in-memory database (it dies with the process) and writes no file', async () => {
    const cwd = dirFor('memory');
    const server = start([], { cwd, env: { DATABASE_URL: 'sqlite::memory:', PORT: '0' } });
    try {
      await server.logLine((m) => m.startsWith('first account created'));
      expect(server.output()).toMatch(/VENICE_ADMIN_KEY_[A-Za-z0-9]{44}/);
      expect(readdirSync(cwd)).toEqual([]);
    } finally {
      server.child.kill('SIGTERM');
      await server.exit();
    }
  });

  it('leaves no account behind when it cannot listen (EADDRINUSE), and bootstraps on the next start', async () => {
    const cwd = dirFor('in-use');
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', () => resolve()));
    const port = (taken.address() as { port: number }).port;
    try {
      const failed = runToEnd(MAIN, [], { cwd, env: { DATABASE_URL: 'sqlite:keys.db', PORT: String(port) } });
      expect(failed.code).toBe(1);
      expect(failed.stderr).toBe(
        `venice-keys: cannot listen on 127.0.0.1:${port}: the address is already in use (EADDRINUSE)\n`,
      );
    } finally {
      taken.close();
    }
    const store = await openSqliteStore(join(cwd, 'keys.db'));
    expect(await store.countAccounts()).toBe(0);
    expect(await store.getSetting('bootstrapped_by')).toBeUndefined();
    await store.close();
    expect(existsSync(join(cwd, 'first-admin-key.txt'))).toBe(false);

    const next = start([], { cwd, env: { DATABASE_URL: 'sqlite:keys.db', PORT: '0' } });
    await next.logLine((m) => m.startsWith('first account created'));
    next.child.kill('SIGTERM');
    await next.exit();
    expect(existsSync(join(cwd, 'first-admin-key.txt'))).toBe(true);
  });
});

describe('startup errors an operator can act on', () => {
  const fails = (env: Record<string, string>, cwd = dirFor('errors')) =>
    runToEnd(MAIN, [], { cwd, env: { PORT: '0', ...env } });

  it('a bad LOG_LEVEL: one line naming the variable, exit 1', () => {
    const run = fails({ LOG_LEVEL: 'verbose', DATABASE_URL: 'sqlite::memory:' });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'venice-keys: invalid configuration: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; got "verbose"\n',
    );
  });

  it('an unreachable PostgreSQL: host and port, no stack unless LOG_LEVEL=debug', () => {
    const env = {
      DATABASE_URL: 'postgres://postgres:secret@127.0.0.1:1/keys',
      VENICE_KEYS_SECRET: 'a-shared-secret-0123456789',
    };
    const run = fails(env);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^venice-keys: cannot reach PostgreSQL at 127\.0\.0\.1:1: connection refused \(ECONNREFUSED\)\n$/,
    );
    expect(run.stderr).not.toContain('secret');
    const debug = fails({ ...env, LOG_LEVEL: 'debug' });
    expect(debug.stderr).toMatch(NO_STACK);
  });

  it('an unreachable Redis: host and port, never its password', () => {
    const run = fails({ DATABASE_URL: 'sqlite::memory:', REDIS_URL: 'redis://:hunter2@127.0.0.1:1' });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('venice-keys: cannot reach Redis at 127.0.0.1:1: connection refused (ECONNREFUSED)\n');
  });

  it('PostgreSQL without VENICE_KEYS_SECRET: names the variable', () => {
    const run = fails({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/keys' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^venice-keys: VENICE_KEYS_SECRET is required with PostgreSQL/);
    expect(run.stderr).not.toMatch(NO_STACK);
  });

  it('an SQLite path that cannot be created, and one that cannot be written: the path, exit 1, no stack', () => {
    const cwd = dirFor('sqlite');
    writeFileSync(join(cwd, 'not-a-dir'), '');
    const path = join(cwd, 'not-a-dir', 'data', 'keys.db');
    const run = fails({ DATABASE_URL: `sqlite:${path}` });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `venice-keys: cannot open the SQLite database ${path}: cannot create its directory ${join(cwd, 'not-a-dir', 'data')}: a part of the path is not a directory (ENOTDIR)\n`,
    );

    // Read-only: an immutable file stops even root from writing it.
    const db = join(cwd, 'read-only.db');
    writeFileSync(db, '');
    execFileSync('chmod', ['0444', db]);
    if (process.getuid?.() === 0) {
      execFileSync('chattr', ['+i', db]);
      immutable.push(db);
    }
    const readOnly = fails({ DATABASE_URL: `sqlite:${db}` });
    expect(readOnly.code).toBe(1);
    expect(readOnly.stderr).toMatch(
      new RegExp(
        `^venice-keys: cannot open the SQLite database ${db}: the file is not writable: permission denied \\((EACCES|EPERM)\\)\\n$`,
      ),
    );
  });
});
