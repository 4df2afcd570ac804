import type { LightMyRequestResponse } from 'fastify';
import type { Address } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, expect } from 'vitest';
import { type LocalChain, startLocalChain } from '../../../../tests/support/evm/index.js';
import type { ConfigFile } from '../../src/config.js';
import type { Store } from '../../src/storage/types.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import type { StoreFactory } from '../support/stores.js';

export const PATH = '/api/v1/api_keys/generate_web3_key';
export const STAKE = 10n ** 18n;

export const wallet = () => privateKeyToAccount(generatePrivateKey());

export interface Web3Fixture {
  chain: LocalChain;
  /** The staking ERC-20 deployed on `chain`. */
  token: Address;
  store: Store;
  /** An app with web3 on, pointed at `chain`, over `store`. */
  t: TestApp;
  appWith(config?: ConfigFile): Promise<TestApp>;
  getToken(app?: TestApp['app'], ip?: string): Promise<string>;
  mint(body: Record<string, unknown>, app?: TestApp['app'], ip?: string): Promise<LightMyRequestResponse>;
  /** A wallet holding exactly the stake. */
  funded(): Promise<ReturnType<typeof wallet>>;
  signedBody(
    w: ReturnType<typeof wallet>,
    extra?: Record<string, unknown>,
    app?: TestApp['app'],
  ): Promise<Record<string, unknown>>;
  expectError(res: { statusCode: number; json(): unknown }, error: string): Promise<void>;
}

/** The local chain of one test file, with the staking token deployed; filled in by `beforeAll`. */
export function useChain(): Pick<Web3Fixture, 'chain' | 'token'> {
  const env = {} as Pick<Web3Fixture, 'chain' | 'token'>;
  beforeAll(async () => {
    env.chain = await startLocalChain();
    env.token = await env.chain.deployErc20();
  });
  afterAll(() => env.chain?.stop());
  return env;
}

/** What every web3 route test of a describe block needs, over a fresh store of `factory`. */
export function useWeb3App(factory: StoreFactory, env: Pick<Web3Fixture, 'chain' | 'token'>): Web3Fixture {
  let dispose: (() => Promise<void>) | undefined;
  const apps: TestApp[] = [];
  const f: Web3Fixture = {
    // Filled in by beforeAll below, before any test runs.
    store: undefined as unknown as Store,
    t: undefined as unknown as TestApp,
    get chain() {
      return env.chain;
    },
    get token() {
      return env.token;
    },
    async appWith(config: ConfigFile = {}) {
      const t = await buildTestApp(f.store, {
        config: {
          ...config,
          limits: { web3RequestsPerMinutePerClient: 100_000, ...config.limits },
          web3: {
            enabled: true,
            rpcUrl: env.chain.url,
            chainId: 8453,
            tokenAddress: env.token,
            minBalance: '1',
            ...config.web3,
          },
        },
      });
      apps.push(t);
      return t;
    },
    async getToken(app = f.t.app, ip = '127.0.0.1') {
      const res = await app.inject({ method: 'GET', url: PATH, remoteAddress: ip });
      expect(res.statusCode).toBe(200);
      return res.json().data.token as string;
    },
    mint: (body: Record<string, unknown>, app = f.t.app, ip = '127.0.0.1') =>
      app.inject({
        method: 'POST',
        url: PATH,
        remoteAddress: ip,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify(body),
      }),
    async funded() {
      const w = wallet();
      await env.chain.mint(env.token, w.address, STAKE);
      return w;
    },
    async signedBody(w: ReturnType<typeof wallet>, extra: Record<string, unknown> = {}, app = f.t.app) {
      const jwt = await f.getToken(app);
      return {
        address: w.address,
        signature: await w.signMessage({ message: jwt }),
        token: jwt,
        apiKeyType: 'INFERENCE',
        ...extra,
      };
    },
    async expectError(res: { statusCode: number; json(): unknown }, error: string) {
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ error });
    },
  };
  beforeAll(async () => {
    const opened = await factory.open();
    f.store = opened.store;
    dispose = opened.dispose;
    f.t = await f.appWith();
  });
  afterAll(async () => {
    for (const t of apps) await t.app.close();
    await dispose?.();
  });
  return f;
}
