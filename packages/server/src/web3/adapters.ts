import { hkdfSync } from 'node:crypto';
import type { Clock } from '../domain/clock.js';
import { AppError } from '../domain/errors.js';
import type { Wallets } from '../domain/ports/wallets.js';
import type { Web3Challenges } from '../domain/ports/web3-tokens.js';
import { type ServerSecrets, secretsInTurn } from '../domain/secrets.js';
import { issueWeb3Token, SIGNATURE_INVALID, verifyWeb3Token } from './token.js';
import {
  assertStaked,
  createChainReader,
  parseWalletAddress,
  readTokenBalance,
  verifyWalletSignature,
} from './wallet.js';

export const WEB3_TOKEN_ISSUER = 'venice-keys';
export const WEB3_TOKEN_AUDIENCE = 'venice-keys:generate_web3_key';

/** Tokens get a key of their own, so that a token can never double as an idempotency digest or vice versa. */
export function web3TokenKey(serverSecret: Uint8Array): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', serverSecret, new Uint8Array(0), 'venice-keys web3 token', 32));
}

/**
 * Challenges as HS256 JWTs under a key derived from the server secret; a token signed under a secret a
 * rotation still accepts verifies too, so that one issued by an instance not yet rotated stays good.
 */
export function jwtChallenges(secrets: ServerSecrets, clock: Clock): Web3Challenges {
  const params = { clock, issuer: WEB3_TOKEN_ISSUER, audience: WEB3_TOKEN_AUDIENCE };
  const keys = secretsInTurn(secrets).map(web3TokenKey);
  return {
    issue: () => issueWeb3Token({ ...params, secret: keys[0] as Uint8Array }),
    async verify(token) {
      let refusal: unknown;
      for (const secret of keys) {
        try {
          return await verifyWeb3Token(token, { ...params, secret });
        } catch (error) {
          // Only a signature another key may make good is worth another try; any other refusal is final.
          if (!(error instanceof AppError) || error.message !== SIGNATURE_INVALID) throw error;
          refusal = error;
        }
      }
      throw refusal;
    },
  };
}

export interface ChainWalletOptions {
  rpcUrl: string;
  chainId: number;
  rpcTimeoutMs: number;
  tokenAddress: `0x${string}`;
  minBalance: bigint;
}

/** Wallets on an EVM chain over JSON-RPC. One reader: it confirms the node's chain id once and loads viem on first use. */
export function chainWallets(options: ChainWalletOptions): Wallets {
  const rpc = createChainReader({ rpcUrl: options.rpcUrl, chainId: options.chainId, timeoutMs: options.rpcTimeoutMs });
  return {
    parseAddress: (input) => parseWalletAddress(input),
    async verifySignature(address, message, signature) {
      await verifyWalletSignature({ address, message, signature, rpc });
    },
    async assertStaked(address) {
      const wallet = await parseWalletAddress(address);
      const balance = await readTokenBalance({ address: wallet, tokenAddress: options.tokenAddress, rpc });
      assertStaked({ balance, minBalance: options.minBalance, address });
    },
  };
}
