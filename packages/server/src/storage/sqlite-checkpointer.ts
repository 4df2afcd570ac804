import { once } from 'node:events';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside whichever commit
 * crosses 1000 WAL pages, copying them into the database file and syncing it: a stall of several
 * milliseconds in the middle of a request, which put the gateway's unloaded p99 at about +4.5 ms (about
 * +2 ms without it). Here a worker thread with a connection of its own runs a PASSIVE checkpoint every
 * `intervalMs`; PASSIVE never waits for a lock, so neither side ever blocks the other.
 *
 * The worker is a CommonJS string rather than a file so that it runs the same from src/ (tests, tsx)
 * and from dist/; better-sqlite3 is resolved here and handed over by path.
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.path, { fileMustExist: true });
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
parentPort.on('message', (m) => {
  if (m === 'runs') return parentPort.postMessage(runs);
  clearInterval(timer);
  run();
  db.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  /** Passes run so far (for tests). */
  runs(): Promise<number>;
  /** Runs a last pass and ends the worker. */
  stop(): Promise<void>;
}

export interface CheckpointerOptions {
  intervalMs?: number;
  /** What a worker that failed to start or died says (automatic checkpoints are back on by then). */
  onError?: (error: Error) => void;
}

/**
 * Starts the checkpointer of the database at `path` and turns the automatic checkpoint of `writer`
 * off; should the worker fail, the automatic checkpoint is turned back on.
 */
export function startCheckpointer(
  path: string,
  writer: { pragma(source: string): unknown },
  options: CheckpointerOptions = {},
): Checkpointer {
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: {
      path,
      module: createRequire(import.meta.url).resolve('better-sqlite3'),
      intervalMs: options.intervalMs ?? 1_000,
    },
  });
  // A short-lived process (the operator command) must not be kept alive by it.
  worker.unref();
  writer.pragma('wal_autocheckpoint = 0');
  let alive = true;
  // Not events.once: that would reject on the worker's 'error', handled below.
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.on('error', (error) => {
    alive = false;
    try {
      writer.pragma('wal_autocheckpoint = 1000');
    } catch {
      // The writer is closed already: nothing left to checkpoint for.
    }
    options.onError?.(error);
  });
  return {
    async runs() {
      worker.postMessage('runs');
      const [n] = (await once(worker, 'message')) as [number];
      return n;
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
