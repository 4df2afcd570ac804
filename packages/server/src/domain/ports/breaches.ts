import type { Breach } from '../model.js';

/** The log of rate-limit breaches, read newest first. */
export interface BreachStore {
  recentBreaches(accountId: string, limit: number): Promise<Breach[]>;
  recordBreach(breach: Breach): Promise<void>;
  /** Deletes every account's breaches beyond its newest `keep`; returns how many. */
  pruneBreaches(keep: number): Promise<number>;
}
