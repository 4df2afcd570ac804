import type { BreachStore } from './ports/breaches.js';
import type { KeyStore } from './ports/keys.js';
import type { Web3TokenStore } from './ports/web3-tokens.js';

/** The breach log shows an account its newest 50; nothing older is ever read. */
export const BREACHES_KEPT_PER_ACCOUNT = 50;

/**
 * Tables that would otherwise only grow: replays past their 24 h, used web3 tokens past their
 * expiry (an expired token is refused before its use is looked up), breaches beyond what the log
 * shows. Run in the background; each step is one bounded statement.
 */
export async function pruneExpired(
  store: Pick<KeyStore, 'pruneIdempotency'> &
    Pick<Web3TokenStore, 'pruneWeb3Tokens'> &
    Pick<BreachStore, 'pruneBreaches'>,
  now: number,
): Promise<{ replays: number; web3Tokens: number; breaches: number }> {
  return {
    replays: await store.pruneIdempotency(now),
    web3Tokens: await store.pruneWeb3Tokens(now),
    breaches: await store.pruneBreaches(BREACHES_KEPT_PER_ACCOUNT),
  };
}
