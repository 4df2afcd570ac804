import type { AccountService } from './accounts.js';
import type { CreatedKey, KeyService } from './keys.js';
import type { Account } from './model.js';

/** A new account with its first ADMIN key: what the operator and a first start hand out. */
export async function createAccountWithAdminKey(
  accounts: AccountService,
  keys: KeyService,
  description = 'Initial admin key',
): Promise<{ account: Account; created: CreatedKey }> {
  const account = await accounts.create();
  const created = await keys.create(account.id, {
    type: 'ADMIN',
    description,
    expiresAt: null,
    limitUsd: null,
    limitDiem: null,
    limitPeriod: 'EPOCH',
    modelPrivacy: 'ALL',
  });
  return { account, created };
}
