import type { AccountService } from './accounts.js';
import type { Clock } from './clock.js';
import { AppError } from './errors.js';
import type { CreatedKey, KeyService, NewKeyInput } from './keys.js';
import type { LimitCounters } from './ports/counters.js';
import type { Wallets } from './ports/wallets.js';
import type { Web3Challenges, Web3TokenStore } from './ports/web3-tokens.js';
import { MINUTE_MS } from './time.js';

export interface Web3KeyPolicy {
  enabled: boolean;
  requestsPerMinutePerClient: number;
}

export interface Web3MintRequest {
  address: string;
  token: string;
  signature: string;
  input: NewKeyInput;
}

/**
 * Keys for wallets: a wallet that signs our challenge and holds the stake gets a key on the
 * account linked to it. Anyone may call, so every call first spends from its client's budget.
 */
export class Web3KeyService {
  constructor(
    private readonly deps: {
      keys: KeyService;
      accounts: AccountService;
      usedTokens: Web3TokenStore;
      challenges: Web3Challenges;
      wallets: Wallets;
      counters: LimitCounters;
      clock: Clock;
      policy: Web3KeyPolicy;
    },
  ) {}

  /** Counted before any RPC or database work, so that the open routes cannot be used to flood either. */
  async admit(client: string): Promise<void> {
    const { policy, counters, clock } = this.deps;
    if (!policy.enabled) throw new AppError('UNAVAILABLE', 'Web3 key generation is disabled on this server');
    const limit = policy.requestsPerMinutePerClient;
    // Sliding, so that a full budget spent at a minute's end does not refill at the next minute's start.
    const demand = { key: `web3:${client}`, windowMs: MINUTE_MS, limit, cost: 1, sliding: true };
    const verdict = await counters.consume([demand], clock.now());
    if (!verdict.ok) {
      throw new AppError('RATE_LIMITED', 'Too many web3 key requests. Please wait a minute and try again.', {
        retryAfterMs: verdict.retryAfterMs,
      });
    }
  }

  async challenge(): Promise<string> {
    return (await this.deps.challenges.issue()).token;
  }

  /** Checks in the wire's order (address, token, token use, wallet signature, stake), then mints. */
  async mint(request: Web3MintRequest): Promise<CreatedKey> {
    const { wallets, challenges, usedTokens, accounts, keys } = this.deps;
    const address = await wallets.parseAddress(request.address);
    const token = await challenges.verify(request.token);
    if (await usedTokens.isWeb3TokenUsed(token.jti)) throw new AppError('BAD_REQUEST', 'JWT has already been used');
    await wallets.verifySignature(address, request.token, request.signature);
    await wallets.assertStaked(address);
    const account = await accounts.forWallet(address);
    return keys.mint(account.id, request.input, { jti: token.jti, expiresAt: token.expiresAtMs });
  }
}
