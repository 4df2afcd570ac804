import type { Config } from './config.js';
import { AccountService } from './domain/accounts.js';
import type { Clock } from './domain/clock.js';
import { KeyService } from './domain/keys.js';
import type { Store } from './storage/types.js';

export interface Services {
  keys: KeyService;
  accounts: AccountService;
}

/** The domain services over a store: shared by the HTTP app and the operator bin. */
export function createServices(config: Config, store: Store, clock: Clock, serverSecret: Uint8Array): Services {
  return {
    keys: new KeyService(
      store,
      clock,
      { createsPerMinute: config.limits.keyCreatesPerMinute, maxActiveKeys: config.limits.maxActiveKeys },
      serverSecret,
    ),
    accounts: new AccountService(store, clock, config.accounts, config.tiers),
  };
}

/** VENICE_KEYS_SECRET, or one generated on first start and kept in the database. */
export async function resolveServerSecret(config: Config, store: Store): Promise<Uint8Array> {
  const text = config.secret ?? (await store.initSetting('server_secret', randomSecretText()));
  return new TextEncoder().encode(text);
}

function randomSecretText(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
}
