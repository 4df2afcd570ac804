import type { Account } from '../model.js';

/** Accounts and their balances as stored. */
export interface AccountStore {
  createAccount(account: Account): Promise<void>;
  getAccount(id: string): Promise<Account | undefined>;
  listAccounts(): Promise<Account[]>;
  countAccounts(): Promise<number>;
  /** Creates the wallet's account unless one exists; returns the account linked to the wallet. */
  accountForWallet(candidate: Account): Promise<Account>;
  creditUsd(accountId: string, micros: bigint): Promise<Account | undefined>;
  /** Takes USD off the balance only if the balance covers it (`debited: false` otherwise); undefined: no such account. */
  debitUsd(accountId: string, micros: bigint): Promise<{ account: Account; debited: boolean } | undefined>;
  updateAccount(
    accountId: string,
    changes: { tier?: string; diemEpochAllocation?: bigint },
  ): Promise<Account | undefined>;
  /** `disabledAt` null enables the account; a time disables it, keeping an earlier time if already disabled. */
  setDisabled(accountId: string, disabledAt: number | null): Promise<Account | undefined>;
}
