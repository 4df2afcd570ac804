import { SignJWT } from 'jose';
import type { Address } from 'viem';
import { beforeAll, describe, expect, it } from 'vitest';
import { type LocalChain, startLocalChain } from '../../../../tests/support/evm/index.js';
import { WEB3_TOKEN_AUDIENCE, WEB3_TOKEN_ISSUER, web3TokenKey } from '../../src/web3/adapters.js';
import { bearer, SERVER_SECRET, type TestApp } from '../support/app.js';
import { storeFactories } from '../support/stores.js';
import { PATH, STAKE, useChain, useWeb3App, wallet } from './fixture.js';

const env = useChain();

for (const factory of storeFactories) {
  const available = await factory.available();
  describe.skipIf(!available)(`web3 key minting refusals on ${factory.name}`, () => {
    const w3 = useWeb3App(factory, env);
    const { appWith, getToken, mint, funded, signedBody, expectError } = w3;
    let t: TestApp;
    let chain: LocalChain;
    let token: Address;
    beforeAll(() => {
      ({ t, chain, token } = w3);
    });

    it('refuses malformed, forged, expired and wrongly-claimed tokens', async () => {
      const w = await funded();
      const sign = async (jwt: string) => ({
        address: w.address,
        signature: await w.signMessage({ message: jwt }),
        token: jwt,
        apiKeyType: 'INFERENCE',
      });
      const real = await getToken();
      const [header, payload] = real.split('.');
      const b64 = (json: string) => Buffer.from(json).toString('base64url');
      for (const bad of [
        '',
        'abc',
        'a.b',
        'a.b.c',
        'eyJhbGciOiJub25lIn0.e30.',
        `${real}.extra`,
        `${header}.${payload}.`,
        ` ${real}`,
        `${header}.${b64('not json')}.${real.split('.')[2]}`,
        `${header}.${b64('[1]')}.${real.split('.')[2]}`,
        `${b64('{"alg":"RS256","typ":"JWT"}')}.${payload}.${real.split('.')[2]}`,
      ]) {
        await expectError(await mint(await sign(bad)), 'JWT is malformed');
      }
      const now = Math.floor(t.clock.now() / 1000);
      const forge = (key: Uint8Array, claims: { iss?: string; aud?: string; exp?: number } = {}) =>
        new SignJWT({})
          .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
          .setIssuer(claims.iss ?? WEB3_TOKEN_ISSUER)
          .setAudience(claims.aud ?? WEB3_TOKEN_AUDIENCE)
          .setIssuedAt(now)
          .setExpirationTime(claims.exp ?? now + 900)
          .setJti(crypto.randomUUID())
          .sign(key);
      await expectError(
        await mint(await sign(await forge(new TextEncoder().encode('not the server secret')))),
        'JWT signature is invalid',
      );
      // The raw server secret is not the token key either.
      await expectError(await mint(await sign(await forge(SERVER_SECRET))), 'JWT signature is invalid');
      const key = web3TokenKey(SERVER_SECRET);
      await expectError(await mint(await sign(await forge(key, { aud: 'someone-else' }))), 'JWT claims are invalid');
      await expectError(await mint(await sign(await forge(key, { iss: 'someone-else' }))), 'JWT claims are invalid');
      // Expiry is checked before claims.
      await expectError(await mint(await sign(await forge(key, { aud: 'x', exp: now - 1 }))), 'JWT has expired');
      expect((await mint(await sign(await forge(key)))).statusCode).toBe(200);
    });

    it('refuses a token from 15 minutes after issue on', async () => {
      // A fresh app: its clock starts on a whole second, so the token's exp is exactly issue + 15 min.
      const fresh = await appWith();
      const w = await funded();
      const body = await signedBody(w, {}, fresh.app);
      fresh.clock.advance(15 * 60_000 + 1);
      await expectError(await mint(body, fresh.app), 'JWT has expired');
      fresh.clock.advance(-1);
      await expectError(await mint(body, fresh.app), 'JWT has expired');
      fresh.clock.advance(-1);
      expect((await mint(body, fresh.app)).statusCode).toBe(200);
    });

    it('refuses a used token before asking the chain anything', async () => {
      // A contract wallet, so that even the signature check needs the chain.
      const owner = wallet();
      const smart = await chain.deploySmartWallet(owner.address);
      await chain.mint(token, smart, STAKE);
      const body = await signedBody(owner, { address: smart });
      expect((await mint(body)).statusCode).toBe(200);
      chain.setOutage('http-503');
      try {
        await expectError(await mint(body), 'JWT has already been used');
      } finally {
        chain.setOutage(null);
      }
    });

    it('refuses signatures that do not match: another signer, another message, garbage', async () => {
      const w = await funded();
      const jwt = await getToken();
      const other = wallet();
      for (const signature of [
        await other.signMessage({ message: jwt }),
        await w.signMessage({ message: `${jwt}x` }),
        '0xdeadbeef',
        'not hex',
      ]) {
        await expectError(
          await mint({ address: w.address, signature, token: jwt, apiKeyType: 'INFERENCE' }),
          'Wallet signature does not match',
        );
      }
      expect(
        (
          await mint({
            address: w.address,
            signature: await w.signMessage({ message: jwt }),
            token: jwt,
            apiKeyType: 'INFERENCE',
          })
        ).statusCode,
      ).toBe(200);
    });

    it('answers "Could not verify wallet signature" when the RPC fails, at the signature and at the balance step', async () => {
      const flaky = await appWith({ web3: { rpcTimeoutMs: 300 } });
      const w = await funded();
      const wrongSigner = wallet();
      // A first mint, so that the reader has confirmed the node's chain and every later failure is a step's own.
      expect((await mint(await signedBody(w, {}, flaky.app), flaky.app)).statusCode).toBe(200);

      const unverified: Record<string, unknown>[] = [];
      for (const outage of ['http-503', 'rate-limited', 'no-answer'] as const) {
        chain.setOutage(outage);
        try {
          // Does not recover to the address, so only the node can say whether it is a contract wallet.
          const jwt = await getToken(flaky.app);
          const atSignature = {
            address: w.address,
            signature: await wrongSigner.signMessage({ message: jwt }),
            token: jwt,
            apiKeyType: 'INFERENCE',
          };
          await expectError(await mint(atSignature, flaky.app), 'Could not verify wallet signature');
          // A valid EOA signature needs no node; the balance does.
          const atBalance = await signedBody(w, {}, flaky.app);
          await expectError(await mint(atBalance, flaky.app), 'Could not verify wallet signature');
          unverified.push(atBalance);
        } finally {
          chain.setOutage(null);
        }
      }
      // An outage used no token up.
      for (const body of unverified) expect((await mint(body, flaky.app)).statusCode).toBe(200);

      const down = await startLocalChain();
      const gone = await appWith({ web3: { rpcUrl: down.url } });
      await down.stop();
      const jwt = await getToken(gone.app);
      await expectError(
        await mint(
          {
            address: w.address,
            signature: await wrongSigner.signMessage({ message: jwt }),
            token: jwt,
            apiKeyType: 'INFERENCE',
          },
          gone.app,
        ),
        'Could not verify wallet signature',
      );
      await expectError(await mint(await signedBody(w, {}, gone.app), gone.app), 'Could not verify wallet signature');
    });

    it('mints exactly one key from concurrent POSTs of one token', async () => {
      const w = await funded();
      const body = await signedBody(w, { apiKeyType: 'ADMIN' });
      const answers = await Promise.all(Array.from({ length: 10 }, () => mint(body)));
      const minted = answers.filter((a) => a.statusCode === 200);
      expect(minted).toHaveLength(1);
      for (const a of answers.filter((x) => x.statusCode !== 200)) {
        expect(a.statusCode).toBe(400);
        expect(a.json()).toEqual({ error: 'JWT has already been used' });
      }
      const listed = await t.app.inject({
        method: 'GET',
        url: '/api/v1/api_keys',
        headers: bearer(minted[0]?.json().data.apiKey),
      });
      expect(listed.json().data).toHaveLength(1);
    });

    it("applies the wallet account's create limits", async () => {
      const limited = await appWith({ limits: { keyCreatesPerMinute: 2, maxActiveKeys: 3 } });
      const w = await funded();
      for (let i = 0; i < 2; i++)
        expect((await mint(await signedBody(w, {}, limited.app), limited.app)).statusCode).toBe(200);
      const third = await mint(await signedBody(w, {}, limited.app), limited.app);
      expect(third.statusCode).toBe(429);
      expect(third.headers['retry-after']).toBeDefined();
      limited.clock.advance(60_000);
      expect((await mint(await signedBody(w, {}, limited.app), limited.app)).statusCode).toBe(200);
      limited.clock.advance(60_000);
      const full = await mint(await signedBody(w, {}, limited.app), limited.app);
      expect(full.statusCode).toBe(400);
      expect(full.json()).toEqual({ error: 'Maximum of 3 active API keys reached' });
    });

    it('rate limits both routes per client address', async () => {
      const limited = await appWith({ limits: { web3RequestsPerMinutePerClient: 3 } });
      for (let i = 0; i < 3; i++)
        expect((await limited.app.inject({ method: 'GET', url: PATH, remoteAddress: '10.9.9.9' })).statusCode).toBe(
          200,
        );
      const refused = await mint({ address: 'x' }, limited.app, '10.9.9.9');
      expect(refused.statusCode).toBe(429);
      expect(refused.json()).toEqual({ error: 'Too many web3 key requests. Please wait a minute and try again.' });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect((await limited.app.inject({ method: 'GET', url: PATH, remoteAddress: '10.9.9.8' })).statusCode).toBe(200);
      // The budget refills as the spent minute slides out of the window; Retry-After says when.
      limited.clock.advance(Number(refused.headers['retry-after']) * 1_000 - 1_000);
      expect((await limited.app.inject({ method: 'GET', url: PATH, remoteAddress: '10.9.9.9' })).statusCode).toBe(429);
      limited.clock.advance(1_000);
      expect((await limited.app.inject({ method: 'GET', url: PATH, remoteAddress: '10.9.9.9' })).statusCode).toBe(200);
    });

    it('a budget spent at a minute end does not refill at the next minute start (was twice the limit in 2 s)', async () => {
      const limited = await appWith({ limits: { web3RequestsPerMinutePerClient: 5 } });
      const ask = () => limited.app.inject({ method: 'GET', url: PATH, remoteAddress: '10.7.7.7' });
      limited.clock.set(Date.UTC(2026, 0, 15, 12, 0, 59));
      const atEnd = [];
      for (let i = 0; i < 10; i++) atEnd.push((await ask()).statusCode);
      limited.clock.set(Date.UTC(2026, 0, 15, 12, 1, 1));
      const atStart = [];
      for (let i = 0; i < 10; i++) atStart.push((await ask()).statusCode);
      const passed = [...atEnd, ...atStart].filter((c) => c === 200).length;
      expect(passed).toBe(5);
    });

    it('keys the per-client limit on X-Forwarded-For only behind a trusted proxy', async () => {
      const get = (app: TestApp, forwardedFor: string) =>
        app.app.inject({
          method: 'GET',
          url: PATH,
          remoteAddress: '10.1.1.1',
          headers: { 'x-forwarded-for': forwardedFor },
        });
      const direct = await appWith({ limits: { web3RequestsPerMinutePerClient: 2 } });
      expect((await get(direct, '1.1.1.1')).statusCode).toBe(200);
      expect((await get(direct, '2.2.2.2')).statusCode).toBe(200);
      // Without trust, a forged header does not buy a fresh budget.
      expect((await get(direct, '3.3.3.3')).statusCode).toBe(429);
      const proxied = await appWith({
        limits: { web3RequestsPerMinutePerClient: 2 },
        server: { trustProxy: ['10.1.1.1'] },
      });
      for (const ip of ['4.4.4.4', '4.4.4.4', '5.5.5.5']) expect((await get(proxied, ip)).statusCode).toBe(200);
      expect((await get(proxied, '4.4.4.4')).statusCode).toBe(429);
    });

    it('answers 503 on both routes when web3 is disabled', async () => {
      const off = await appWith({ web3: { enabled: false } });
      for (const method of ['GET', 'POST'] as const) {
        const res = await off.app.inject({
          method,
          url: PATH,
          headers: { 'content-type': 'application/json' },
          payload: method === 'POST' ? '{}' : undefined,
        });
        expect(res.statusCode).toBe(503);
        expect(res.json()).toEqual({ error: 'Web3 key generation is disabled on this server' });
      }
    });

    it('validates the body strictly', async () => {
      const w = await funded();
      const unknown = await mint(await signedBody(w, { wallet: 'x' }));
      expect(unknown.statusCode).toBe(400);
      expect(unknown.json()).toMatchObject({
        error: 'Invalid request parameters',
        issues: [{ code: 'unrecognized_keys', keys: ['wallet'] }],
      });
      const body = await signedBody(w);
      const { apiKeyType: _, ...noType } = body;
      const missing = await mint(noType);
      expect(missing.statusCode).toBe(400);
      expect(missing.json().details).toHaveProperty('apiKeyType');
      expect((await mint({ ...body, description: 'x'.repeat(65) })).statusCode).toBe(400);
      // A bad expiry, even one only the clock can judge, is refused before the chain is asked.
      chain.setOutage('http-503');
      try {
        for (const expiresAt of ['2020-01-01', 'tomorrow']) {
          const expiry = await mint({ ...body, expiresAt });
          expect(expiry.statusCode).toBe(400);
          expect(expiry.json()).toMatchObject({
            error: 'Invalid request parameters',
            details: { expiresAt: { _errors: [expect.any(String)] } },
            issues: [{ path: ['expiresAt'] }],
          });
        }
      } finally {
        chain.setOutage(null);
      }
      // None of that used the token up.
      expect((await mint(body)).statusCode).toBe(200);
      const wrongMethod = await t.app.inject({ method: 'DELETE', url: PATH });
      expect(wrongMethod.statusCode).toBe(405);
    });
  });
}
