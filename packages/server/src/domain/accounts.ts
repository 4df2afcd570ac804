import type { TierLimits } from './catalog.js';
import type { Clock } from './clock.js';
import { AppError } from './errors.js';
import { moneyAsk } from './gateway/windows.js';
import { BREACHES_KEPT_PER_ACCOUNT } from './housekeeping.js';
import type { Account, ApiKeyRecord } from './model.js';
import { isActive } from './model.js';
import { maxBig, minBig } from './money.js';
import type { AccountStore } from './ports/accounts.js';
import type { BreachStore } from './ports/breaches.js';
import type { Reservations, Spendable } from './ports/reservations.js';
import type { UsageStore } from './ports/usage.js';
import { newId } from './secrets.js';
import { dayOf, periodStartDay } from './time.js';

export interface AccountDefaults {
  defaultTier: string;
  diemEpochAllocation: bigint;
  startingBalanceUsd: bigint;
}

export interface Balances {
  usd: bigint;
  /** What is left of this epoch's DIEM allocation. */
  diem: bigint;
}

export type ConsumptionCurrency = 'DIEM' | 'USD' | null;

/** $0.10: below this an account cannot start a request (Venice's rule). */
const MIN_SPENDABLE = 100_000n;

/** Accounts and money: balances, what a key may still spend, and the operator's changes. */
export class AccountService {
  constructor(
    private readonly store: AccountStore & UsageStore & BreachStore,
    private readonly clock: Clock,
    private readonly defaults: AccountDefaults,
    private readonly tiers: Record<string, TierLimits>,
    /** The gateway's holds: reads count requests in flight as spent, as admission does. */
    private readonly reservations: Reservations,
  ) {}

  newAccount(walletAddress: string | null = null): Account {
    return {
      id: newId(),
      tier: this.defaults.defaultTier,
      usdBalance: this.defaults.startingBalanceUsd,
      diemEpochAllocation: this.defaults.diemEpochAllocation,
      walletAddress,
      createdAt: this.clock.now(),
      disabledAt: null,
    };
  }

  async create(): Promise<Account> {
    const account = this.newAccount();
    await this.store.createAccount(account);
    return account;
  }

  /** The account linked to a wallet, created on its first mint. */
  forWallet(address: string): Promise<Account> {
    return this.store.accountForWallet(this.newAccount(address.toLowerCase()));
  }

  async get(id: string): Promise<Account> {
    const account = await this.store.getAccount(id);
    if (!account) throw new AppError('NOT_FOUND', 'Account not found');
    return account;
  }

  async creditUsd(id: string, micros: bigint): Promise<Account> {
    if (micros <= 0n) throw new AppError('BAD_REQUEST', 'Credit must be positive');
    const account = (await this.store.creditUsd(id, micros)) ?? (await this.get(id));
    // The mirror of the balance, if built, learns the credit; it is never rebuilt over holds in flight.
    await this.reservations.adjustUsd(id, micros);
    return account;
  }

  /** An operator's correction: never below zero; the balance mirror, if built, learns it like a credit. */
  async debitUsd(id: string, micros: bigint): Promise<Account> {
    if (micros <= 0n) throw new AppError('BAD_REQUEST', 'Debit must be positive');
    const result = await this.store.debitUsd(id, micros);
    if (!result) throw new AppError('NOT_FOUND', 'Account not found');
    if (!result.debited) throw new AppError('BAD_REQUEST', 'Debit exceeds the USD balance');
    await this.reservations.adjustUsd(id, -micros);
    return result.account;
  }

  async setTier(id: string, tier: string): Promise<Account> {
    if (!this.tiers[tier])
      throw new AppError('BAD_REQUEST', `Unknown tier "${tier}"; known: ${Object.keys(this.tiers).join(', ')}`);
    return (await this.store.updateAccount(id, { tier })) ?? (await this.get(id));
  }

  async setDiemAllocation(id: string, micros: bigint): Promise<Account> {
    if (micros < 0n) throw new AppError('BAD_REQUEST', 'DIEM allocation cannot be negative');
    return (await this.store.updateAccount(id, { diemEpochAllocation: micros })) ?? (await this.get(id));
  }

  /** An operator's stop: keys are refused at authentication, within the auth cache's life on every instance. */
  async setDisabled(id: string, disabled: boolean): Promise<Account> {
    const account = await this.store.setDisabled(id, disabled ? this.clock.now() : null);
    if (!account) throw new AppError('NOT_FOUND', 'Account not found');
    return account;
  }

  async balances(account: Account): Promise<Balances> {
    const now = this.clock.now();
    const spent = await this.store.accountSpend(account.id, dayOf(now));
    const settled = { usd: maxBig(account.usdBalance, 0n), diem: maxBig(account.diemEpochAllocation - spent.diem, 0n) };
    const noKeyLimits = { limitPeriod: 'EPOCH' as const, limitUsd: null, limitDiem: null };
    return withHolds(
      settled,
      await this.reservations.peekSpendable(account.id, '', moneyAsk(noKeyLimits, account, 0n, now)),
    );
  }

  async billing(account: Account): Promise<{ balances: Balances; canConsume: boolean; currency: ConsumptionCurrency }> {
    const balances = await this.balances(account);
    return {
      balances,
      canConsume: balances.usd + balances.diem >= MIN_SPENDABLE,
      currency: balances.diem > 0n ? 'DIEM' : balances.usd > 0n ? 'USD' : null,
    };
  }

  /** The account's last breaches of a rate limit, newest first. */
  recentBreaches(accountId: string, limit = BREACHES_KEPT_PER_ACCOUNT) {
    return this.store.recentBreaches(accountId, limit);
  }

  /** Each balance clamped to what the key may still spend in its current limit period. */
  async spendableByKey(account: Account, key: ApiKeyRecord): Promise<Balances & { accessPermitted: boolean }> {
    const now = this.clock.now();
    const balances = await this.balances(account);
    let { usd, diem } = balances;
    if (key.limitUsd !== null || key.limitDiem !== null) {
      const spend = (await this.store.spendByKey(account.id, periodStartDay(key.limitPeriod, now), [key.id])).get(
        key.id,
      );
      if (key.limitUsd !== null) usd = minBig(usd, maxBig(key.limitUsd - (spend?.usd ?? 0n), 0n));
      if (key.limitDiem !== null) diem = minBig(diem, maxBig(key.limitDiem - (spend?.diem ?? 0n), 0n));
    }
    ({ usd, diem } = withHolds(
      { usd, diem },
      await this.reservations.peekSpendable(account.id, key.id, moneyAsk(key, account, 0n, now)),
    ));
    return { usd, diem, accessPermitted: isActive(key, now) && (usd > 0n || diem > 0n) };
  }
}

/**
 * The settled figures, lowered by what requests in flight hold (the live mirror, when built), so that no
 * read claims more is spendable than admission would allow.
 */
function withHolds(settled: Balances, live: Spendable | null): Balances {
  return live ? { usd: minBig(settled.usd, live.usd), diem: minBig(settled.diem, live.diem) } : settled;
}
