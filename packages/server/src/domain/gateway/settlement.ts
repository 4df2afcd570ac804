import type { Clock } from '../clock.js';
import type { SettlementRecord } from '../ports/ledger.js';
import type { Charge, HeldReservation, Reservations } from '../ports/reservations.js';
import { newOrderedId } from '../secrets.js';
import type { LedgerWriter } from './ledger-writer.js';
import { describe, type GatewayLog } from './log.js';
import { ledgerEntries, type Prices, type Usage } from './pricing.js';

export interface SettleUsage extends Usage {
  executionMs: number;
}

/** What a sweeper on any instance needs to settle a reservation it did not make (stored with it, as JSON). */
export interface ReservationMeta {
  requestId: string;
  modelId: string;
  embedding: boolean;
  /** Micro-USD per million tokens, as decimal text (JSON has no bigint). */
  inputPerMTok: string;
  outputPerMTok: string;
  promptTokensUpper: number;
  outputTokensUpper: number;
  admittedAt: number;
  /** The TPM window to correct to the real token count, if the model is rate limited. */
  tokenWindow: string | null;
}

/** How long a sweeper's claim on an expired reservation lasts before another sweeper may take it over. */
const CLAIM_MS = 60_000;

/**
 * Settlement: the charge is made durable first (ledger, daily usage, balance debit, idempotent per
 * reservation id), and only then is the rest of the hold released in the counters. A crash between the
 * two leaves the hold in place until the sweeper settles it again: the database keeps the first charge
 * and the counters are released by it.
 */
export class Settler {
  constructor(
    private readonly reservations: Reservations,
    private readonly writer: LedgerWriter,
    private readonly clock: Clock,
    private readonly log: GatewayLog,
  ) {}

  async settle(held: HeldReservation, meta: ReservationMeta, usage: SettleUsage, charge: Charge): Promise<void> {
    const prices: Prices = { inputPerMTok: BigInt(meta.inputPerMTok), outputPerMTok: BigInt(meta.outputPerMTok) };
    const entries = ledgerEntries({
      modelId: meta.modelId,
      embedding: meta.embedding,
      prices,
      usage,
      charge,
      freeCurrency: held.diem > 0n ? 'DIEM' : 'USD',
      newId: newOrderedId,
    });
    await this.complete(held, meta, this.recordOf(held, meta, usage, charge, entries));
  }

  /** Nothing charged, but recorded as settled so that no sweeper charges it later. */
  async release(held: HeldReservation, meta: ReservationMeta): Promise<void> {
    const nothing = { promptTokens: 0, completionTokens: 0, executionMs: 0 };
    await this.complete(held, meta, this.recordOf(held, meta, nothing, { usd: 0n, diem: 0n }, []));
  }

  private recordOf(
    held: HeldReservation,
    meta: ReservationMeta,
    usage: SettleUsage,
    charge: Charge,
    entries: SettlementRecord['entries'],
  ): SettlementRecord {
    return {
      reservationId: held.id,
      accountId: held.accountId,
      apiKeyId: held.keyId,
      requestId: meta.requestId,
      modelId: meta.modelId,
      at: this.clock.now(),
      day: held.day,
      charge,
      promptTokens: usage.promptTokens,
      completionTokens: usage.completionTokens,
      executionMs: usage.executionMs,
      entries,
    };
  }

  /** Expired reservations (their instance never settled them) are charged what was held. */
  async sweep(limit: number): Promise<number> {
    const expired = await this.reservations.claimExpired(this.clock.now(), limit, CLAIM_MS);
    await Promise.all(
      expired.map((held) => {
        const meta = JSON.parse(held.meta) as ReservationMeta;
        const usage = {
          promptTokens: meta.promptTokensUpper,
          completionTokens: meta.outputTokensUpper,
          executionMs: 0,
        };
        return this.settle(held, meta, usage, { usd: held.usd, diem: held.diem });
      }),
    );
    return expired.length;
  }

  private async complete(held: HeldReservation, meta: ReservationMeta, record: SettlementRecord) {
    const tokens = record.promptTokens + record.completionTokens;
    try {
      const charge = await this.writer.submit(record);
      await this.reservations.finalize({
        reservation: held,
        charge,
        actualCosts: meta.tokenWindow ? { [meta.tokenWindow]: tokens } : {},
        now: this.clock.now(),
      });
    } catch (error) {
      // The hold stays until the sweeper settles it: the database keeps whichever charge lands first.
      this.log.error(
        { err: describe(error), reservationId: held.id },
        'settlement incomplete; left to the expiry sweeper',
      );
    }
  }
}
