/**
 * What the domain reports for an operator to watch. The domain calls these and knows nothing of
 * Prometheus; `NO_METRICS` is what runs when metrics are off (and in tests).
 */

/** Why admission refused a request (`unavailable`: the counters could not be reached). */
export type DenialReason =
  | 'RPM'
  | 'RPD'
  | 'TPM'
  | 'FAILED_REQUESTS'
  | 'privacy'
  | 'key_limit'
  | 'balance'
  | 'unavailable';

export type UpstreamOutcome = 'ok' | 'status' | 'timeout' | 'unreachable';

export interface Metrics {
  /** An authentication answered from the 1 s cache (hit) or from the store (miss). */
  authCache(hit: boolean): void;
  admitted(): void;
  denied(reason: DenialReason): void;
  /** +1 when a reservation is held, -1 when it is settled, released or expired. */
  reservations(delta: number): void;
  /** One upstream call: how long it took until its answer ended, and how it ended. */
  upstream(route: string, seconds: number, outcome: UpstreamOutcome): void;
  /** One ledger batch made durable: how long its oldest settlement waited, and its size. */
  ledgerBatch(lagSeconds: number, settlements: number): void;
}

export const NO_METRICS: Metrics = {
  authCache() {},
  admitted() {},
  denied() {},
  reservations() {},
  upstream() {},
  ledgerBatch() {},
};
