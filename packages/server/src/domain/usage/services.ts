import type { CatalogModel } from '../catalog.js';
import type { Clock } from '../clock.js';
import { type ServerSecrets, secretsInTurn } from '../secrets.js';
import { UsageAnalyticsService } from './analytics.js';
import { cursorKey } from './cursor.js';
import { UsageHistory } from './history.js';
import type { UsageReader } from './ports.js';
import { LedgerPruner } from './retention.js';

export interface UsageServices {
  history: UsageHistory;
  analytics: UsageAnalyticsService;
  pruner: LedgerPruner;
}

export interface UsageParts {
  reader: UsageReader;
  clock: Clock;
  secrets: ServerSecrets;
  catalog: readonly CatalogModel[];
  retentionDays: number;
  /** How long after admission a request is settled at the latest (the upstream timeout). */
  settlesWithinMs: number;
}

/** The read side of the ledger over one reader: the history walk, analytics, and retention. */
export function createUsageServices(parts: UsageParts): UsageServices {
  const { reader, clock, secrets } = parts;
  const keys = secretsInTurn(secrets).map(cursorKey) as [Buffer, ...Buffer[]];
  return {
    history: new UsageHistory(reader, clock, keys),
    analytics: new UsageAnalyticsService(reader, clock, parts.catalog, parts.settlesWithinMs),
    pruner: new LedgerPruner(reader, clock, { retentionDays: parts.retentionDays }),
  };
}
