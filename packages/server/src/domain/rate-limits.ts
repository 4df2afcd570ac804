import type { AccountService } from './accounts.js';
import type { KeyWithAccount } from './auth-cache.js';
import type { CatalogModel } from './catalog.js';
import type { Clock } from './clock.js';
import { MODEL_LIMIT_TYPES, type ModelLimitType, modelWindows } from './gateway/windows.js';
import type { Reservations } from './ports/reservations.js';
import { nextEpochBegins } from './time.js';

export type { ModelLimitType };

export interface ModelLimitState {
  type: ModelLimitType;
  amount: number;
  used: number;
  remaining: number;
  resetsAt: number;
}

/** Per model of the catalog: the tier's limits and the live windows of the caller's account (the gateway's own). */
export async function accountModelLimits(
  reservations: Reservations,
  models: readonly CatalogModel[],
  tier: string,
  accountId: string,
  now: number,
): Promise<{ modelId: string; limits: ModelLimitState[] }[]> {
  // Video models are not rate limited per request (Venice lists them with an empty list).
  const windowsOf = (m: CatalogModel) => (m.type === 'video' ? [] : modelWindows(m, tier, 0));
  const states = await reservations.peekWindows(accountId, models.flatMap(windowsOf), now);
  let next = 0;
  return models.map((m) => ({
    modelId: m.id,
    limits: windowsOf(m).map((w, i) => {
      const s = states[next++] as { used: number; resetsAt: number };
      return {
        type: MODEL_LIMIT_TYPES[i] as ModelLimitType,
        amount: w.limit,
        used: s.used,
        remaining: Math.max(0, w.limit - s.used),
        resetsAt: s.resetsAt,
      };
    }),
  }));
}

/** What `/api_keys/rate_limits` shows the caller: access, balances it may spend, and every model's live limits. */
export interface RateLimitsView {
  accessPermitted: boolean;
  tier: string;
  /** Each balance clamped to what the key may still spend in its current period. */
  balances: { usd: bigint; diem: bigint };
  keyExpiresAt: number | null;
  nextEpochBegins: number;
  models: { modelId: string; limits: ModelLimitState[] }[];
}

export class RateLimitService {
  constructor(
    private readonly accounts: AccountService,
    private readonly reservations: Reservations,
    private readonly models: readonly CatalogModel[],
    private readonly clock: Clock,
  ) {}

  async view(caller: KeyWithAccount): Promise<RateLimitsView> {
    const now = this.clock.now();
    // The cached account may be a second old; balances and tier are read fresh.
    const account = await this.accounts.get(caller.account.id);
    const spendable = await this.accounts.spendableByKey(account, caller.key);
    return {
      accessPermitted: spendable.accessPermitted,
      tier: account.tier,
      balances: { usd: spendable.usd, diem: spendable.diem },
      keyExpiresAt: caller.key.expiresAt,
      nextEpochBegins: nextEpochBegins(now),
      models: await accountModelLimits(this.reservations, this.models, account.tier, account.id, now),
    };
  }
}
