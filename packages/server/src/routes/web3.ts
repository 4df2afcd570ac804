import { hkdfSync } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import type { AccountService } from '../domain/accounts.js';
import type { Clock } from '../domain/clock.js';
import { AppError } from '../domain/errors.js';
import type { KeyService } from '../domain/keys.js';
import type { LimitCounters } from '../domain/ports/counters.js';
import { MINUTE_MS } from '../domain/time.js';
import { refuseOtherMethods } from '../http/plumbing.js';
import * as present from '../http/present.js';
import { web3KeyBody } from '../http/schemas.js';
import { parseWith } from '../http/validation.js';
import type { Store } from '../storage/types.js';
import { issueWeb3Token, verifyWeb3Token } from '../web3/token.js';
import {
  assertStaked,
  createChainReader,
  parseWalletAddress,
  readTokenBalance,
  verifyWalletSignature,
} from '../web3/wallet.js';
import { newKeyInput } from './api-keys.js';

export interface Web3RouteDeps {
  keys: KeyService;
  accounts: AccountService;
  store: Store;
  counters: LimitCounters;
  clock: Clock;
  serverSecret: Uint8Array;
  config: Pick<Config, 'web3' | 'limits'>;
}

const PATH = '/api/v1/api_keys/generate_web3_key';
export const WEB3_TOKEN_ISSUER = 'venice-keys';
export const WEB3_TOKEN_AUDIENCE = 'venice-keys:generate_web3_key';
const DEFAULT_DESCRIPTION = 'Web3 API Key';

/** Tokens get a key of their own, so that a token can never double as an idempotency digest or vice versa. */
export function web3TokenKey(serverSecret: Uint8Array): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', serverSecret, new Uint8Array(0), 'venice-keys web3 token', 32));
}

export function web3Routes(app: FastifyInstance, deps: Web3RouteDeps): void {
  const { keys, accounts, store, counters, clock, config } = deps;
  // One reader per app: it confirms the node's chain id once and loads viem only on first use.
  const chain = createChainReader({
    rpcUrl: config.web3.rpcUrl,
    chainId: config.web3.chainId,
    timeoutMs: config.web3.rpcTimeoutMs,
  });
  const tokenParams = {
    secret: web3TokenKey(deps.serverSecret),
    clock,
    issuer: WEB3_TOKEN_ISSUER,
    audience: WEB3_TOKEN_AUDIENCE,
  };

  /**
   * Both routes are open to anyone, so each client address gets a small budget, counted before
   * any RPC or database work, so that they cannot be used to flood either.
   */
  async function admit(req: FastifyRequest): Promise<void> {
    if (!config.web3.enabled) throw new AppError('UNAVAILABLE', 'Web3 key generation is disabled on this server');
    const limit = config.limits.web3RequestsPerMinutePerClient;
    const verdict = await counters.consume(
      [{ key: `web3:${req.ip}`, windowMs: MINUTE_MS, limit, cost: 1 }],
      clock.now(),
    );
    if (!verdict.ok) {
      throw new AppError('RATE_LIMITED', 'Too many web3 key requests. Please wait a minute and try again.', {
        retryAfterMs: verdict.retryAfterMs,
      });
    }
  }

  app.get(PATH, { config: { auth: 'none' } }, async (req) => {
    await admit(req);
    const { token } = await issueWeb3Token(tokenParams);
    return { success: true, data: { token } };
  });

  app.post(PATH, { config: { auth: 'none' } }, async (req) => {
    await admit(req);
    const body = parseWith(web3KeyBody, req.body);
    // A past expiresAt is a validation error like any other: refused before any RPC or database work.
    const input = newKeyInput({ ...body, description: body.description ?? DEFAULT_DESCRIPTION }, clock.now());
    // The wire's order: address, token (form, signature, expiry, claims, use), wallet signature, stake.
    const address = await parseWalletAddress(body.address);
    const token = await verifyWeb3Token(body.token, tokenParams);
    if (await store.isWeb3TokenUsed(token.jti)) throw new AppError('BAD_REQUEST', 'JWT has already been used');
    await verifyWalletSignature({ address, message: body.token, signature: body.signature, rpc: chain });
    const balance = await readTokenBalance({ address, tokenAddress: config.web3.tokenAddress, rpc: chain });
    assertStaked({ balance, minBalance: config.web3.minBalance, address });

    const account = await accounts.forWallet(address);
    const created = await keys.mint(account.id, input, { jti: token.jti, expiresAt: token.expiresAtMs });
    return { success: true, data: present.createdKey(created.key, created.secret) };
  });
  refuseOtherMethods(app, PATH, ['GET', 'POST']);
}
