import { type Address, serializeErc6492Signature } from 'viem';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LocalChain } from '../../../../tests/support/evm/index.js';
import { WEB3_TOKEN_AUDIENCE, WEB3_TOKEN_ISSUER } from '../../src/web3/adapters.js';
import { bearer, type TestApp } from '../support/app.js';
import { storeFactories } from '../support/stores.js';
import { PATH, STAKE, useChain, useWeb3App, wallet } from './fixture.js';

const env = useChain();

for (const factory of storeFactories) {
  const available = await factory.available();
  describe.skipIf(!available)(`web3 key minting on ${factory.name}`, () => {
    const w3 = useWeb3App(factory, env);
    const { getToken, mint, funded, signedBody, expectError } = w3;
    let t: TestApp;
    let chain: LocalChain;
    let token: Address;
    beforeAll(() => {
      ({ t, chain, token } = w3);
    });

    it('issues a 15-minute HS256 token with iss, aud and a random jti, ignoring any Authorization header', async () => {
      const res = await t.app.inject({ method: 'GET', url: PATH, headers: bearer('whatever') });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toEqual({ success: true, data: { token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/) } });
      const [header, payload] = body.data.token
        .split('.')
        .slice(0, 2)
        .map((p: string) => JSON.parse(Buffer.from(p, 'base64url').toString()));
      expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
      expect(payload).toEqual({
        iss: WEB3_TOKEN_ISSUER,
        aud: WEB3_TOKEN_AUDIENCE,
        iat: Math.floor(t.clock.now() / 1000),
        exp: Math.floor(t.clock.now() / 1000) + 900,
        jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      });
      expect(await getToken()).not.toBe(body.data.token);
    });

    it('mints a key for a funded EOA; the key authenticates and the echo is exact', async () => {
      const w = await funded();
      const started = performance.now();
      const res = await mint(
        await signedBody(w, { apiKeyType: 'ADMIN', consumptionLimit: { usd: 0, diem: 5 }, limitPeriod: 'MONTH' }),
      );
      console.log(`web3 mint (EOA, ${factory.name}) took ${(performance.now() - started).toFixed(1)} ms`);
      expect(res.statusCode).toBe(200);
      const data = res.json().data;
      expect(res.json()).toEqual({
        success: true,
        data: {
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          apiKey: expect.stringMatching(/^VENICE_ADMIN_KEY_[A-Za-z0-9]{44}$/),
          apiKeyType: 'ADMIN',
          description: 'Web3 API Key',
          expiresAt: null,
          consumptionLimit: { usd: 0, diem: 5, vcu: null },
          limitPeriod: 'MONTH',
          modelPrivacy: 'ALL',
        },
      });
      const listed = await t.app.inject({ method: 'GET', url: '/api/v1/api_keys', headers: bearer(data.apiKey) });
      expect(listed.json().data.map((k: { id: string }) => k.id)).toEqual([data.id]);
      // A second mint by the same wallet lands in the same account.
      const again = await mint(await signedBody(w, { description: 'second' }));
      expect(again.statusCode).toBe(200);
      expect(again.json().data).toMatchObject({ apiKeyType: 'INFERENCE', description: 'second' });
      const ids = (await t.app.inject({ method: 'GET', url: '/api/v1/api_keys', headers: bearer(data.apiKey) }))
        .json()
        .data.map((k: { id: string }) => k.id);
      expect(ids).toEqual([again.json().data.id, data.id].sort((a, b) => (a < b ? 1 : -1)));
      const rateLimits = await t.app.inject({
        method: 'GET',
        url: '/api/v1/api_keys/rate_limits',
        headers: bearer(again.json().data.apiKey),
      });
      expect(rateLimits.statusCode).toBe(200);
    });

    it('refuses a wallet without stake, naming it, and leaves the token usable', async () => {
      const w = wallet();
      const body = await signedBody(w);
      await expectError(await mint(body), `Wallet ${w.address} has no staked VVV on Base`);
      await chain.mint(token, w.address, 1n);
      expect((await mint(body)).statusCode).toBe(200);
      await expectError(await mint(body), 'JWT has already been used');
    });

    /** A mint of `address` with `jwt` signed by `signer` (the wallet itself, its owner, or a stranger). */
    const signedBy = async (address: Address, signer: ReturnType<typeof wallet>, jwt: string) =>
      mint({ address, signature: await signer.signMessage({ message: jwt }), token: jwt, apiKeyType: 'INFERENCE' });

    it('mints for an ERC-1271 smart wallet and an ERC-6492 counterfactual wallet', async () => {
      const owner = wallet();
      const smart = await chain.deploySmartWallet(owner.address);
      await chain.mint(token, smart, STAKE);
      const jwt = await getToken();
      const res = await signedBy(smart, owner, jwt);
      expect(res.statusCode).toBe(200);

      const future = await chain.counterfactualWallet(owner.address);
      await chain.mint(token, future.address, STAKE);
      const jwt2 = await getToken();
      const signature = serializeErc6492Signature({
        address: future.factory,
        data: future.factoryCalldata,
        signature: await owner.signMessage({ message: jwt2 }),
      });
      const res2 = await mint({ address: future.address, signature, token: jwt2, apiKeyType: 'INFERENCE' });
      expect(res2.statusCode).toBe(200);
    });

    it('refuses contract wallets signed by someone other than their owner', async () => {
      const owner = wallet();
      const stranger = wallet();
      const smart = await chain.deploySmartWallet(owner.address);
      await chain.mint(token, smart, STAKE);
      const jwt = await getToken();
      await expectError(await signedBy(smart, stranger, jwt), 'Wallet signature does not match');

      const future = await chain.counterfactualWallet(owner.address);
      await chain.mint(token, future.address, STAKE);
      const signature = serializeErc6492Signature({
        address: future.factory,
        data: future.factoryCalldata,
        signature: await stranger.signMessage({ message: jwt }),
      });
      await expectError(
        await mint({ address: future.address, signature, token: jwt, apiKeyType: 'INFERENCE' }),
        'Wallet signature does not match',
      );
      // Neither attempt used the token.
      const res = await signedBy(smart, owner, jwt);
      expect(res.statusCode).toBe(200);
    });

    it('checks the address first', async () => {
      const w = await funded();
      for (const address of [
        '0x12',
        'vitalik.eth',
        '',
        `0x${'g'.repeat(40)}`,
        w.address.slice(2),
        `${w.address}00`,
        ` ${w.address}`,
        // Mixed case with a wrong EIP-55 checksum (the last letter's case flipped).
        '0x321b7ff75154472B18EDb199033fF4D116F340FF',
      ]) {
        await expectError(
          await mint({ address, signature: '0x', token: 'not a jwt', apiKeyType: 'INFERENCE' }),
          'Invalid wallet address',
        );
      }
    });

    it('accepts an address in one case and names the wallet in checksummed form', async () => {
      const w = await funded();
      const lower = await mint(await signedBody(w, { address: w.address.toLowerCase() }));
      expect(lower.statusCode).toBe(200);
      const upper = await mint(await signedBody(w, { address: `0x${w.address.slice(2).toUpperCase()}` }));
      expect(upper.statusCode).toBe(200);

      const poor = wallet();
      await expectError(
        await mint(await signedBody(poor, { address: poor.address.toLowerCase() })),
        `Wallet ${poor.address} has no staked VVV on Base`,
      );
    });
  });
}
