import type { FastifyInstance } from 'fastify';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  BadRequestError,
  ConflictError,
  NotFoundError,
  RateLimitError,
  VeniceClient,
} from '../../packages/sdk/src/index.js';
import {
  buildTestApp,
  newAccount,
  newKey,
  type TestAccount,
  type TestApp,
} from '../../packages/server/test/support/app.js';
import { storeFactories } from '../../packages/server/test/support/stores.js';
import { type LocalChain, startLocalChain } from '../support/evm/index.js';

/** Every SDK method against the real server, over real HTTP on an ephemeral port. */
for (const factory of storeFactories) {
  const available = await factory.available();
  describe.skipIf(!available)(`SDK against the server on ${factory.name}`, () => {
    let app: FastifyInstance;
    let t: TestApp;
    let dispose: () => Promise<void>;
    let baseURL: string;
    let chain: LocalChain;
    let token: `0x${string}`;
    let acct: TestAccount;
    let venice: VeniceClient;

    beforeAll(async () => {
      chain = await startLocalChain();
      token = await chain.deployErc20();
      const opened = await factory.open();
      dispose = opened.dispose;
      t = await buildTestApp(opened.store, {
        config: {
          limits: { web3RequestsPerMinutePerClient: 1000 },
          web3: { enabled: true, rpcUrl: chain.url, chainId: 8453, tokenAddress: token, minBalance: '1' },
        },
      });
      app = t.app;
      baseURL = `${await app.listen({ host: '127.0.0.1', port: 0 })}/api/v1`;
      acct = await newAccount(t);
      venice = new VeniceClient({ apiKey: acct.adminKey, baseURL, maxRetries: 0 });
    });
    afterAll(async () => {
      await app?.close();
      await dispose?.();
      await chain?.stop();
    });

    it('creates, lists, retrieves, updates and deletes keys', async () => {
      const created = await venice.apiKeys.create({
        apiKeyType: 'INFERENCE',
        description: 'sdk e2e',
        consumptionLimit: { usd: 0, diem: 2.5 },
        limitPeriod: 'MONTH',
        expiresAt: '2099-01-01',
      });
      expect(created).toMatchObject({
        apiKeyType: 'INFERENCE',
        description: 'sdk e2e',
        consumptionLimit: { usd: 0, diem: 2.5, vcu: null },
      });
      expect(created.apiKey).toMatch(/^VENICE_INFERENCE_KEY_/);
      expect((await venice.apiKeys.list()).map((k) => k.id)).toContain(created.id);
      const got = await venice.apiKeys.retrieve(created.id);
      expect(got).toMatchObject({
        id: created.id,
        last6Chars: created.apiKey.slice(-6),
        expiresAt: '2099-01-01T00:00:00.000Z',
        currentPeriodUsage: { usd: '0.0000', diem: '0.0000' },
      });
      const updated = await venice.apiKeys.update({
        id: created.id,
        description: 'renamed',
        expiresAt: null,
        consumptionLimit: { usd: null },
      });
      expect(updated).toMatchObject({
        description: 'renamed',
        expiresAt: null,
        consumptionLimits: { usd: null, diem: 2.5, vcu: null },
      });
      expect(await venice.apiKeys.delete(created.id)).toEqual({ success: true });
      await expect(venice.apiKeys.retrieve(created.id)).rejects.toBeInstanceOf(NotFoundError);
      await expect(venice.apiKeys.delete(created.id)).rejects.toBeInstanceOf(NotFoundError);
    });

    it('a revoked key gets AuthenticationError; a bad request gets BadRequestError with a readable message', async () => {
      const k = await newKey(t, acct.accountId, { type: 'ADMIN' });
      const other = new VeniceClient({ apiKey: k.secret, baseURL, maxRetries: 0 });
      expect(await other.apiKeys.list()).toBeInstanceOf(Array);
      await venice.apiKeys.delete(k.id);
      const e = await other.apiKeys.list().catch((x: unknown) => x);
      expect(e).toBeInstanceOf(AuthenticationError);
      expect(e).toMatchObject({ status: 401, message: '401 Authentication failed', requestID: expect.any(String) });
      const bad = await venice.apiKeys
        // biome-ignore lint/suspicious/noExplicitAny: an unknown field the server must refuse
        .create({ apiKeyType: 'INFERENCE', description: 'x', surprise: 1 } as any)
        .catch((x: unknown) => x);
      expect(bad).toBeInstanceOf(BadRequestError);
      expect((bad as Error).message).toBe('400 Invalid request parameters (Unrecognized key: "surprise")');
    });

    it('retries a create safely: one Idempotency-Key, one key; a reused key with another body is a ConflictError', async () => {
      const a = await venice.apiKeys.create(
        { apiKeyType: 'INFERENCE', description: 'idem' },
        { idempotencyKey: 'e2e-1' },
      );
      const b = await venice.apiKeys.create(
        { apiKeyType: 'INFERENCE', description: 'idem' },
        { idempotencyKey: 'e2e-1' },
      );
      expect(b).toEqual(a);
      await expect(
        venice.apiKeys.create({ apiKeyType: 'INFERENCE', description: 'other' }, { idempotencyKey: 'e2e-1' }),
      ).rejects.toBeInstanceOf(ConflictError);
    });

    it('iterates every key with real paging and reads limits, logs and balance', async () => {
      const fresh = await newAccount(t);
      for (let i = 0; i < 12; i++) await newKey(t, fresh.accountId);
      const client = new VeniceClient({ apiKey: fresh.adminKey, baseURL });
      const ids: string[] = [];
      for await (const k of client.apiKeys.iterAll({ pageSize: 5 })) ids.push(k.id);
      expect(ids).toHaveLength(13);
      expect(new Set(ids).size).toBe(13);
      expect((await client.apiKeys.list({ page: 3, limit: 5 })).length).toBe(3);
      const limits = await client.apiKeys.getRateLimits();
      expect(limits).toMatchObject({ apiTier: { id: 'paid', isCharged: true }, balances: { USD: 0, DIEM: 0 } });
      expect(limits.rateLimits[0]?.rateLimits[0]).toMatchObject({ type: 'RPM', amount: 50, used: 0, remaining: 50 });
      expect(await client.apiKeys.getRateLimitLogs()).toEqual({ object: 'list', data: [] });
      expect(await client.billing.getBalance()).toEqual({
        canConsume: false,
        consumptionCurrency: null,
        balances: { diem: 0, usd: 0 },
        diemEpochAllocation: 0,
      });
      const { requestID, response } = await client.billing.getBalance().withResponse();
      expect(response.status).toBe(200);
      expect(requestID).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('surfaces the create rate limit as RateLimitError with retryAfterMs', async () => {
      const fresh = await newAccount(t);
      const client = new VeniceClient({ apiKey: fresh.adminKey, baseURL, maxRetries: 0 });
      for (let i = 0; i < 19; i++) await client.apiKeys.create({ apiKeyType: 'INFERENCE', description: `r${i}` });
      const e = await client.apiKeys
        .create({ apiKeyType: 'INFERENCE', description: 'one too many' })
        .catch((x: unknown) => x);
      expect(e).toBeInstanceOf(RateLimitError);
      expect((e as RateLimitError).retryAfterMs).toBeGreaterThan(0);
    });

    it('takes a wallet from nothing to a working key with mintWeb3Key', async () => {
      const wallet = privateKeyToAccount(generatePrivateKey());
      await chain.mint(token, wallet.address, 10n ** 18n);
      const anonymous = new VeniceClient({ baseURL, apiKey: undefined });
      const started = performance.now();
      const key = await anonymous.apiKeys.mintWeb3Key({
        signer: wallet,
        apiKeyType: 'ADMIN',
        consumptionLimit: { usd: 5 },
      });
      console.log(`SDK mintWeb3Key end to end (${factory.name}): ${(performance.now() - started).toFixed(1)} ms`);
      expect(key).toMatchObject({
        apiKeyType: 'ADMIN',
        description: 'Web3 API Key',
        consumptionLimit: { usd: 5, diem: null, vcu: null },
      });
      const owner = new VeniceClient({ apiKey: key.apiKey, baseURL });
      expect((await owner.apiKeys.list()).map((k) => k.id)).toEqual([key.id]);
      // The two steps by hand, and a replayed token refused.
      const { token: jwt } = await anonymous.apiKeys.getWeb3Token();
      const signature = await wallet.signMessage({ message: jwt });
      await anonymous.apiKeys.createWeb3Key({
        address: wallet.address,
        signature,
        token: jwt,
        apiKeyType: 'INFERENCE',
      });
      const replay = await anonymous.apiKeys
        .createWeb3Key({ address: wallet.address, signature, token: jwt, apiKeyType: 'INFERENCE' })
        .catch((x: unknown) => x);
      expect(replay).toBeInstanceOf(BadRequestError);
      expect((replay as Error).message).toBe('400 JWT has already been used');
      const broke = privateKeyToAccount(generatePrivateKey());
      await expect(anonymous.apiKeys.mintWeb3Key({ signer: broke, apiKeyType: 'INFERENCE' })).rejects.toThrow(
        `400 Wallet ${broke.address} has no staked VVV on Base`,
      );
    });
  });
}
