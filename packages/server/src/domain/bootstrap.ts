import { randomUUID } from 'node:crypto';
import type { AccountService } from './accounts.js';
import { type CreatedKey, type KeyService, withKeyDefaults } from './keys.js';
import type { Account } from './model.js';
import type { AccountStore } from './ports/accounts.js';
import type { SettingsStore } from './ports/settings.js';

/** A new account with its first ADMIN key: what the operator and a first start hand out. */
export async function createAccountWithAdminKey(
  accounts: AccountService,
  keys: KeyService,
  description = 'Initial admin key',
): Promise<{ account: Account; created: CreatedKey }> {
  const account = await accounts.create();
  const created = await keys.create(account.id, withKeyDefaults({ type: 'ADMIN', description }));
  return { account, created };
}

/**
 * The first start on an empty database creates an account and its ADMIN key, once: instances
 * starting together each stake a claim, and only the one whose claim is stored bootstraps.
 */
export async function bootstrapIfEmpty(
  store: AccountStore & SettingsStore,
  accounts: AccountService,
  keys: KeyService,
): Promise<{ account: Account; created: CreatedKey } | undefined> {
  if ((await store.countAccounts()) > 0) return undefined;
  const claim = randomUUID();
  if ((await store.initSetting('bootstrapped_by', claim)) !== claim) return undefined;
  return createAccountWithAdminKey(accounts, keys);
}
