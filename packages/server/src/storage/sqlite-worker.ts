import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * The SQLite store's background thread, with a connection of its own, for the two kinds of work that
 * would otherwise stall the event loop:
 *
 * - WAL checkpoints. SQLite's automatic checkpoint runs inside whichever commit crosses 1000 WAL pages,
 *   copying them into the database file and syncing it: a stall of several milliseconds in the middle of
 *   a request, which put the gateway's unloaded p99 at about +4.5 ms (about +2 ms without it). Here a
 *   PASSIVE checkpoint runs every `intervalMs`; PASSIVE never waits for a lock.
 * - Ledger batches. One batch of settlements is ten B-tree inserts per request and a commit: about 45 µs
 *   of a request's CPU on the event loop, more than admission and settlement together. The rows are
 *   computed on the event loop (cheap) and only the statements run here.
 *
 * The worker is a CommonJS string rather than a file so that it runs the same from src/ (tests, tsx)
 * and from dist/; better-sqlite3 is resolved here and handed over by path.
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('synchronous = NORMAL');
db.pragma('foreign_keys = ON');
db.pragma('busy_timeout = ' + workerData.busyTimeoutMs);
db.pragma('wal_autocheckpoint = 0');
let runs = 0;
const run = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    runs++;
  } catch {
    // A failed pass leaves the WAL as it was; the next one tries again.
  }
};
const timer = setInterval(run, workerData.intervalMs);

// Prepared at the first batch: the tables are the migrated store's, not there when a test starts a bare worker.
let write;
function prepare() {
  const s = {};
  for (const [name, sql] of Object.entries(workerData.ledgerSql)) s[name] = db.prepare(sql);
  s.recorded.safeIntegers(true);
  return db.transaction((job) => {
    const stale = [];
    for (const claim of job.claims) {
      if (s.claim.run(claim).changes === 1) continue;
      const found = s.recorded.get(claim[0]);
      stale.push(found ? [claim[0], found.usd, found.diem] : [claim[0], null, null]);
    }
    // Rows summed over claims that were not all fresh would be wrong: undo, and let the caller redo the rest.
    if (stale.length > 0) throw Object.assign(new Error('stale'), { stale });
    for (const v of job.lines) s.line.run(v);
    for (const v of job.daily) s.daily.run(v);
    for (const v of job.perModel) s.perModel.run(v);
    for (const v of job.debits) s.debit.run(v);
  }).immediate;
}

parentPort.on('message', (m) => {
  if (m === 'runs') return parentPort.postMessage(runs);
  if (m.job) {
    try {
      (write ??= prepare())(JSON.parse(m.job));
      parentPort.postMessage({ id: m.id });
    } catch (e) {
      parentPort.postMessage(e.stale ? { id: m.id, stale: e.stale } : { id: m.id, error: { code: e.code, message: e.message } });
    }
    return;
  }
  clearInterval(timer);
  run();
  db.close();
  parentPort.close();
});
`;

/** One ledger batch as rows of statement parameters, in the order of the ledger's SQL. */
export interface LedgerJob {
  /** Per settlement: reservation id, at, usd, diem (the idempotency claim). */
  claims: unknown[][];
  lines: unknown[][];
  daily: unknown[][];
  perModel: unknown[][];
  debits: unknown[][];
}

/**
 * What a job did: written (`stale` absent), or nothing at all because some reservations were recorded
 * before (id with the charge recorded for it, null if it vanished).
 */
export interface LedgerJobResult {
  stale?: [id: string, usd: bigint | null, diem: bigint | null][];
}

export interface SqliteWorker {
  /** False once the worker failed or stopped: the caller writes on its own connection then. */
  readonly alive: boolean;
  /** Runs one job in a `BEGIN IMMEDIATE` transaction; rejects with SQLite's error (its `code` kept). */
  write(job: LedgerJob): Promise<LedgerJobResult>;
  /** Checkpoint passes run so far (for tests). */
  runs(): Promise<number>;
  /** Finishes the jobs sent, runs a last pass and ends the worker. */
  stop(): Promise<void>;
}

export interface SqliteWorkerOptions {
  intervalMs?: number;
  busyTimeoutMs?: number;
  /** The statements of a ledger job (claim, recorded, line, daily, perModel, debit). */
  ledgerSql?: Record<string, string>;
  /** What a worker that failed to start or died says (automatic checkpoints are back on by then). */
  onError?: (error: Error) => void;
}

type Reply = { id: number; stale?: LedgerJobResult['stale']; error?: { code?: string; message: string } };

/**
 * Starts the worker of the database at `path` and turns the automatic checkpoint of `writer` off;
 * should the worker fail, the automatic checkpoint is turned back on and jobs in flight are rejected.
 */
export function startSqliteWorker(
  path: string,
  writer: { pragma(source: string): unknown },
  options: SqliteWorkerOptions = {},
): SqliteWorker {
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: {
      path,
      module: createRequire(import.meta.url).resolve('better-sqlite3'),
      intervalMs: options.intervalMs ?? 1_000,
      busyTimeoutMs: options.busyTimeoutMs ?? 5_000,
      ledgerSql: options.ledgerSql ?? {},
    },
  });
  // A short-lived process (the operator command) must not be kept alive by it, unless a job is pending.
  worker.unref();
  writer.pragma('wal_autocheckpoint = 0');
  let alive = true;
  let nextId = 0;
  const pending = new Map<number, { resolve(r: LedgerJobResult): void; reject(e: Error): void }>();
  const failAll = (error: Error) => {
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  // Not events.once: that would reject on the worker's 'error', handled below.
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', () => {
      alive = false;
      failAll(new Error('SQLite worker exited'));
      resolve();
    }),
  );
  worker.on('error', (error) => {
    alive = false;
    try {
      writer.pragma('wal_autocheckpoint = 1000');
    } catch {
      // The writer is closed already: nothing left to checkpoint for.
    }
    failAll(error);
    options.onError?.(error);
  });
  worker.on('message', (m: Reply | number) => {
    if (typeof m === 'number') return;
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (pending.size === 0) worker.unref();
    if (m.error) p.reject(Object.assign(new Error(m.error.message), { code: m.error.code }));
    else p.resolve(m.stale ? { stale: m.stale } : {});
  });
  return {
    get alive() {
      return alive;
    },
    write(job) {
      if (!alive) return Promise.reject(new Error('SQLite worker is not running'));
      const id = nextId++;
      if (pending.size === 0) worker.ref();
      return new Promise<LedgerJobResult>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, job: JSON.stringify(job) });
      });
    },
    runs() {
      return new Promise<number>((resolve) => {
        // Job replies share the channel: the count is the one message that is a number.
        const counted = (m: unknown) => {
          if (typeof m !== 'number') return;
          worker.off('message', counted);
          resolve(m);
        };
        worker.on('message', counted);
        worker.postMessage('runs');
      });
    },
    async stop() {
      if (!alive) return;
      alive = false;
      // Held again until it has gone: a process with only an unref'd worker left would exit while
      // awaiting it, with code 0 whatever it was about to return.
      worker.ref();
      worker.postMessage('stop');
      await exited;
    },
  };
}
