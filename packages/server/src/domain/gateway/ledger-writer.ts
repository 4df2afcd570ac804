import type { Clock } from '../clock.js';
import type { SettlementRecord, UsageLedger } from '../ports/ledger.js';
import { type Metrics, NO_METRICS } from '../ports/metrics.js';
import type { Charge } from '../ports/reservations.js';

interface Pending {
  record: SettlementRecord;
  submittedAt: number;
  resolve(charge: Charge): void;
  reject(error: unknown): void;
}

export interface LedgerWriterOptions {
  /** Most settlements one transaction carries. */
  maxBatch: number;
  /** Attempts of one batch before its settlements fail (a transient database error must not lose them). */
  attempts: number;
}

/**
 * Group commit for settlements: while one batch is being written, the next accumulates, so a busy
 * gateway writes one transaction per batch instead of one per request, and an idle one writes at once.
 * `submit` resolves when its settlement is durable, with the charge the database recorded for it.
 */
export class LedgerWriter {
  private queue: Pending[] = [];
  private writing: Promise<void> | undefined;

  constructor(
    private readonly ledger: UsageLedger,
    private readonly clock: Clock,
    private readonly metrics: Metrics = NO_METRICS,
    private readonly options: LedgerWriterOptions = { maxBatch: 500, attempts: 3 },
  ) {}

  submit(record: SettlementRecord): Promise<Charge> {
    return new Promise<Charge>((resolve, reject) => {
      this.queue.push({ record, submittedAt: this.clock.now(), resolve, reject });
      this.writing ??= this.drain();
    });
  }

  /** Resolves once everything submitted so far is written (or has failed). */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    // Let the settlements of the current tick join the first batch.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      try {
        const charges = await this.write(batch.map((p) => p.record));
        this.metrics.ledgerBatch((this.clock.now() - (batch[0] as Pending).submittedAt) / 1000, batch.length);
        for (const [i, p] of batch.entries()) p.resolve(charges[i] as Charge);
      } catch (error) {
        for (const p of batch) p.reject(error);
      }
    }
    this.writing = undefined;
  }

  private async write(batch: SettlementRecord[]): Promise<Charge[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.ledger.record(batch);
      } catch (error) {
        if (attempt >= this.options.attempts) throw error;
        await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
      }
    }
  }
}
