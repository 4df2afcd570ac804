import { describe, expect, it } from 'vitest';
import { bearer, newAccount, newKey } from '../support/app.js';
import { useTestApp } from '../support/fixture.js';
import { storeFactories } from '../support/stores.js';

const json = { 'content-type': 'application/json' };

/** Issue 10 item 3: an account keeps at least one ADMIN key that stays usable, whichever key makes the call. */
for (const factory of storeFactories) {
  const available = await factory.available();
  describe.skipIf(!available)(`ADMIN lockout guard on ${factory.name}`, () => {
    const t = useTestApp(factory);
    const revoke = (id: string, secret: string) =>
      t.app.inject({ method: 'DELETE', url: `/api/v1/api_keys?id=${id}`, headers: bearer(secret) });
    const expire = (id: string, secret: string, expiresAt: string) =>
      t.app.inject({
        method: 'PATCH',
        url: '/api/v1/api_keys',
        headers: { ...bearer(secret), ...json },
        payload: JSON.stringify({ id, expiresAt }),
      });
    const works = async (secret: string) =>
      (await t.app.inject({ method: 'GET', url: '/api/v1/api_keys', headers: bearer(secret) })).statusCode;

    it('a short-lived ADMIN key cannot revoke the permanent one (was 200, then every key 401)', async () => {
      const acct = await newAccount(t);
      const short = await newKey(t, acct.accountId, { type: 'ADMIN', expiresAt: t.clock.now() + 10_000 });
      const res = await revoke(acct.adminKeyId, short.secret);
      expect(res.statusCode).toBe(409);
      expect(res.json()).toEqual({ error: 'Cannot revoke the last active ADMIN key of this account' });
      t.clock.advance(10_000);
      expect(await works(acct.adminKey)).toBe(200);
    });

    it('nor shorten its life below its own', async () => {
      const acct = await newAccount(t);
      const until = t.clock.now() + 60_000;
      const short = await newKey(t, acct.accountId, { type: 'ADMIN', expiresAt: until });
      const later = new Date(until + 86_400_000).toISOString();
      expect((await expire(acct.adminKeyId, short.secret, later)).statusCode).toBe(409);
      // The short key may end itself: the permanent key outlives it.
      expect((await revoke(short.id, short.secret)).statusCode).toBe(200);
    });

    it('an expiring ADMIN key may be revoked or shortened while another lives at least as long', async () => {
      const acct = await newAccount(t);
      const until = t.clock.now() + 3_600_000;
      const a = await newKey(t, acct.accountId, { type: 'ADMIN', expiresAt: until });
      const b = await newKey(t, acct.accountId, { type: 'ADMIN', expiresAt: until });
      expect((await expire(a.id, acct.adminKey, new Date(until - 1_000).toISOString())).statusCode).toBe(200);
      expect((await revoke(b.id, a.secret)).statusCode).toBe(200);
      // Any expiry on the permanent key now leaves no key outliving it.
      expect((await expire(acct.adminKeyId, acct.adminKey, '2099-01-01')).statusCode).toBe(409);
    });

    it('of two calls that would each end one of two permanent keys, exactly one wins', async () => {
      for (let round = 0; round < 5; round++) {
        const acct = await newAccount(t);
        const second = await newKey(t, acct.accountId, { type: 'ADMIN' });
        const answers = await Promise.all([
          revoke(second.id, acct.adminKey),
          expire(acct.adminKeyId, second.secret, new Date(t.clock.now() + 60_000).toISOString()),
        ]);
        expect(answers.map((r) => r.statusCode).sort()).toEqual([200, 409]);
        const alive = [await works(acct.adminKey), await works(second.secret)];
        expect(alive).toContain(200);
      }
    });
  });
}
