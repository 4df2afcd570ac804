import type { AccountStore } from '../domain/ports/accounts.js';
import type { BreachStore } from '../domain/ports/breaches.js';
import type { KeyStore } from '../domain/ports/keys.js';
import type { UsageLedger } from '../domain/ports/ledger.js';
import type { SettingsStore } from '../domain/ports/settings.js';
import type { UsageStore } from '../domain/ports/usage.js';
import type { Web3TokenStore } from '../domain/ports/web3-tokens.js';
import type { UsageReader } from '../domain/usage/ports.js';

export type { AccountTx } from '../domain/ports/keys.js';

/**
 * One database behind every port of the domain. Adapters (`SqliteStore`, `PostgresStore`) implement
 * it and pass one shared contract suite.
 */
export interface Store
  extends AccountStore,
    KeyStore,
    UsageStore,
    UsageReader,
    BreachStore,
    Web3TokenStore,
    SettingsStore {
  readonly kind: 'sqlite' | 'postgres';
  /** The gateway's settlements (ledger, daily usage, balance debits) in this same database. */
  readonly ledger: UsageLedger;
  close(): Promise<void>;
}
