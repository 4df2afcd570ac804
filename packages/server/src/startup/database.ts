import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, resolve } from 'node:path';
import { errorCode, NETWORK_CODES, reason, StartupError } from './errors.js';

/** Where the data lives, for people: the absolute SQLite path, or PostgreSQL's host:port/database (no password). */
export type DatabaseLocation =
  | { kind: 'sqlite'; path: string; memory: boolean; text: string }
  | { kind: 'postgres'; host: string; port: number; database: string; text: string };

export function locateDatabase(databaseUrl: string, cwd: string = process.cwd()): DatabaseLocation {
  if (databaseUrl.startsWith('sqlite:')) {
    const raw = databaseUrl.slice('sqlite:'.length);
    if (raw === ':memory:') return { kind: 'sqlite', path: raw, memory: true, text: 'sqlite::memory:' };
    const path = resolve(cwd, raw);
    return { kind: 'sqlite', path, memory: false, text: path };
  }
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) {
    let url: URL;
    try {
      url = new URL(databaseUrl);
    } catch {
      throw new StartupError('DATABASE_URL is not a valid postgres:// URL');
    }
    const host = decodeURIComponent(url.hostname) || 'localhost';
    const port = Number(url.port || 5432);
    const database = decodeURIComponent(url.pathname.slice(1)) || decodeURIComponent(url.username) || 'postgres';
    return { kind: 'postgres', host, port, database, text: `postgres://${host}:${port}/${database}` };
  }
  throw new StartupError('DATABASE_URL must start with sqlite: or postgres://');
}

/**
 * Checks a SQLite location before opening it, so that a wrong path fails with a sentence naming it,
 * and creates a new database file with mode 0600 (SQLite gives its journal files the same mode).
 * `mustExist`: the operator never creates an empty database by accident (a wrong working directory).
 */
export function prepareSqlite(location: DatabaseLocation & { kind: 'sqlite' }, mustExist: boolean): void {
  if (location.memory) return;
  const { path } = location;
  const dir = dirname(path);
  const fail = (what: string, e: unknown) =>
    new StartupError(`cannot open the SQLite database ${path}: ${what}${reason(e)}`);
  if (!existsSync(path)) {
    if (mustExist) throw new StartupError(`no database at ${path} (pass --init to create one there)`);
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw fail(`cannot create its directory ${dir}: `, e);
    }
    try {
      closeSync(openSync(path, 'wx', 0o600));
    } catch (e) {
      if (errorCode(e) !== 'EEXIST') throw fail('cannot create the file: ', e);
    }
  }
  try {
    accessSync(path, constants.R_OK | constants.W_OK);
  } catch (e) {
    throw fail('the file is not writable: ', e);
  }
  try {
    // The write-ahead log and shared-memory files live beside the database.
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw fail(`its directory ${dir} is not writable: `, e);
  }
}

/** Turns a failure to open the database into one line naming it; anything unrecognised is passed on. */
export function explainOpenFailure(location: DatabaseLocation, e: unknown): unknown {
  if (e instanceof StartupError) return e;
  if (location.kind === 'postgres') {
    const where = `${location.host}:${location.port}`;
    const code = errorCode(e);
    if (code && NETWORK_CODES.has(code))
      return new StartupError(`cannot reach PostgreSQL at ${where}: ${reason(e)}`, { cause: e });
    const message = e instanceof Error ? e.message : String(e);
    return new StartupError(`PostgreSQL at ${where}/${location.database} refused: ${message}`, { cause: e });
  }
  const code = errorCode(e);
  if (code && (code.startsWith('SQLITE_') || code.startsWith('E'))) {
    const readOnly = code === 'SQLITE_READONLY' || code === 'EROFS' ? ' (read-only)' : '';
    const message = e instanceof Error ? e.message : String(e);
    return new StartupError(`cannot open the SQLite database ${location.path}${readOnly}: ${message} (${code})`, {
      cause: e,
    });
  }
  return e;
}

/**
 * Redis unreachable at start: one line with its host and port (never its password). A plain TCP
 * connection first, because a Redis client reports a refused connection only as "Connection is closed".
 */
export async function checkRedisReachable(redisUrl: string, timeoutMs = 2_000): Promise<void> {
  let host: string;
  let port: number;
  try {
    const url = new URL(redisUrl);
    host = url.hostname || '127.0.0.1';
    port = Number(url.port || 6379);
  } catch {
    throw new StartupError('REDIS_URL is not a valid redis:// URL');
  }
  await new Promise<void>((resolve, reject) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new StartupError(`cannot reach Redis at ${host}:${port}: no answer within ${timeoutMs} ms`));
    });
    socket.once('error', (e) =>
      reject(new StartupError(`cannot reach Redis at ${host}:${port}: ${reason(e)}`, { cause: e })),
    );
  });
}
