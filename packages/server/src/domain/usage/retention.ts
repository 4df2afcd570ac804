import type { Clock } from '../clock.js';
import { DAY_MS } from '../time.js';
import type { UsageReader } from './ports.js';

export interface RetentionOptions {
  retentionDays: number;
  /** Entries deleted per statement: small, so that no statement holds locks for long. */
  batchSize?: number;
  /** Between two sweeps. */
  intervalMs?: number;
}

/**
 * Deletes ledger entries older than the retention period, in small batches with a pause between
 * them so that requests are never kept waiting behind a long delete. Daily aggregates are never
 * pruned: analytics over old periods stay available after their entries are gone.
 */
export class LedgerPruner {
  readonly #batchSize: number;
  readonly #intervalMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<number> | undefined;
  #stopping = false;

  constructor(
    private readonly reader: UsageReader,
    private readonly clock: Clock,
    private readonly options: RetentionOptions,
  ) {
    this.#batchSize = options.batchSize ?? 500;
    this.#intervalMs = options.intervalMs ?? 3_600_000;
  }

  /** One sweep: batch after batch until nothing old is left (or `stopped`); returns how many entries went. */
  async sweep(stopped: () => boolean = () => false): Promise<number> {
    const before = this.clock.now() - this.options.retentionDays * DAY_MS;
    let total = 0;
    for (;;) {
      const deleted = await this.reader.pruneLedger(before, this.#batchSize);
      total += deleted;
      if (deleted < this.#batchSize || stopped()) return total;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Sweeps now and then every interval, until `stop`. A failed sweep is reported and retried next time. */
  start(onError: (error: unknown) => void): void {
    this.#stopping = false;
    const run = () => {
      this.#running = this.sweep(() => this.#stopping).catch((e) => {
        onError(e);
        return 0;
      });
      void this.#running.then(() => this.#schedule(run, this.#intervalMs));
    };
    this.#schedule(run, 0);
  }

  #schedule(run: () => void, ms: number): void {
    if (this.#stopping) return;
    // The schedule alone must not keep a process alive that is otherwise done.
    this.#timer = setTimeout(run, ms);
    this.#timer.unref?.();
  }

  /** Stops the schedule and waits for a sweep in progress (it ends after its current batch). */
  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#timer);
    await this.#running;
  }
}
