import type { AccountService } from './accounts.js';
import type { KeyWithAccount } from './auth-cache.js';
import type { CatalogModel } from './catalog.js';
import type { Clock } from './clock.js';
import type { LimitCounters, WindowRef } from './ports/counters.js';
import { DAY_MS, MINUTE_MS, nextEpochBegins } from './time.js';

export const MODEL_LIMIT_TYPES = ['RPM', 'RPD', 'TPM'] as const;
export type ModelLimitType = (typeof MODEL_LIMIT_TYPES)[number];

export const WINDOW_MS: Record<ModelLimitType, number> = { RPM: MINUTE_MS, RPD: DAY_MS, TPM: MINUTE_MS };

/** The counter behind an account's per-model limit: shared by the gateway (writes) and this view (reads). */
export function modelWindow(accountId: string, modelId: string, type: ModelLimitType): WindowRef {
  return { key: `rl:${accountId}:${modelId}:${type}`, windowMs: WINDOW_MS[type] };
}

export interface ModelLimitState {
  type: ModelLimitType;
  amount: number;
  used: number;
  remaining: number;
  resetsAt: number;
}

/** Per model of the catalog: the tier's limits and the live counters of the caller's account. */
export async function accountModelLimits(
  counters: LimitCounters,
  models: readonly CatalogModel[],
  tier: string,
  accountId: string,
  now: number,
): Promise<{ modelId: string; limits: ModelLimitState[] }[]> {
  // Video models are not rate limited per request (Venice lists them with an empty list).
  const limited = (m: CatalogModel) => m.type !== 'video' && m.rateLimits[tier] !== undefined;
  const refs = models.filter(limited).flatMap((m) => MODEL_LIMIT_TYPES.map((t) => modelWindow(accountId, m.id, t)));
  const states = await counters.peek(refs, now);
  let next = 0;
  return models.map((m) => {
    if (!limited(m)) return { modelId: m.id, limits: [] };
    const amounts = m.rateLimits[tier] as Record<ModelLimitType, number>;
    return {
      modelId: m.id,
      limits: MODEL_LIMIT_TYPES.map((type) => {
        const s = states[next++] as { used: number; resetsAt: number };
        return {
          type,
          amount: amounts[type],
          used: s.used,
          remaining: Math.max(0, amounts[type] - s.used),
          resetsAt: s.resetsAt,
        };
      }),
    };
  });
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
    private readonly counters: LimitCounters,
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
      models: await accountModelLimits(this.counters, this.models, account.tier, account.id, now),
    };
  }
}
