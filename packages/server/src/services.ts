import type { Config } from './config.js';
import { MemoryReservations } from './counters/reservations-memory.js';
import { AccountService } from './domain/accounts.js';
import type { Clock } from './domain/clock.js';
import { KeyService } from './domain/keys.js';
import type { LimitCounters } from './domain/ports/counters.js';
import { type Metrics, NO_METRICS } from './domain/ports/metrics.js';
import type { Reservations } from './domain/ports/reservations.js';
import { RateLimitService } from './domain/rate-limits.js';
import type { ServerSecrets } from './domain/secrets.js';
import { createUsageServices, type UsageServices } from './domain/usage/services.js';
import { Web3KeyService } from './domain/web3-keys.js';
import type { Store } from './storage/types.js';
import { chainWallets, jwtChallenges } from './web3/adapters.js';

export interface Services {
  keys: KeyService;
  accounts: AccountService;
  rateLimits: RateLimitService;
  web3: Web3KeyService;
  usage: UsageServices;
}

/** The domain services over their adapters: what the HTTP app and the operator bin call. */
export function createServices(
  config: Config,
  store: Store,
  counters: LimitCounters,
  clock: Clock,
  secrets: ServerSecrets,
  metrics: Metrics = NO_METRICS,
  /** The gateway's reservations: the same instance its GatewayService uses, so reads see requests in flight. */
  reservations: Reservations = new MemoryReservations(),
): Services {
  const keys = new KeyService(
    store,
    clock,
    { createsPerMinute: config.limits.keyCreatesPerMinute, maxActiveKeys: config.limits.maxActiveKeys },
    secrets,
    metrics,
  );
  const accounts = new AccountService(store, clock, config.accounts, config.tiers, reservations);
  const web3 = new Web3KeyService({
    keys,
    accounts,
    usedTokens: store,
    challenges: jwtChallenges(secrets, clock),
    wallets: chainWallets(config.web3),
    counters,
    clock,
    policy: { enabled: config.web3.enabled, requestsPerMinutePerClient: config.limits.web3RequestsPerMinutePerClient },
  });
  const usage = createUsageServices({
    reader: store,
    clock,
    secrets,
    catalog: config.models,
    retentionDays: config.usage.retentionDays,
    settlesWithinMs: config.upstream.timeoutMs,
  });
  return {
    keys,
    accounts,
    rateLimits: new RateLimitService(accounts, reservations, config.models, clock),
    web3,
    usage,
  };
}
