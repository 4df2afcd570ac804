import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../src/storage/postgres.js';
import type { Store } from '../src/storage/types.js';
import { bearer, buildTestApp, newAccount, newKey, type TestApp } from './support/app.js';
import { useTestApp } from './support/fixture.js';
import { POSTGRES_URL, postgresFactory, storeFactories } from './support/stores.js';

const json = { 'content-type': 'application/json' };

function createVia(app: FastifyInstance, secret: string, description: string, headers: Record<string, string> = {}) {
  return app.inject({
    method: 'POST',
    url: '/api/v1/api_keys',
    headers: { ...bearer(secret), ...json, ...headers },
    payload: JSON.stringify({ apiKeyType: 'INFERENCE', description }),
  });
}

for (const factory of storeFactories) {
  const available = await factory.available();
  describe.skipIf(!available)(`concurrency on ${factory.name}`, () => {
    const t = useTestApp(factory, { config: { limits: { keyCreatesPerMinute: 100_000 } } });

    it('50 parallel creates with one Idempotency-Key make exactly one key', async () => {
      const acct = await newAccount(t);
      const answers = await Promise.all(
        Array.from({ length: 50 }, () => createVia(t.app, acct.adminKey, 'once', { 'idempotency-key': 'storm' })),
      );
      expect(answers.map((a) => a.statusCode)).toEqual(Array(50).fill(200));
      const bodies = new Set(answers.map((a) => a.body));
      expect(bodies.size).toBe(1);
      expect((await t.services.keys.list(acct.accountId)).length).toBe(2);
    });

    it('parallel creates never push an account past 500 active keys', async () => {
      const acct = await newAccount(t);
      for (let i = 0; i < 489; i++) await newKey(t, acct.accountId);
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) => createVia(t.app, acct.adminKey, `race ${i}`)),
      );
      const codes = answers.map((a) => a.statusCode);
      expect(codes.filter((c) => c === 200)).toHaveLength(10);
      expect(codes.filter((c) => c === 400)).toHaveLength(20);
      expect((await t.services.keys.list(acct.accountId)).length).toBe(500);
    });

    it('parallel PATCHes to one key never lose a field', async () => {
      const acct = await newAccount(t);
      const key = await newKey(t, acct.accountId);
      for (let round = 1; round <= 5; round++) {
        const changes = [
          { description: `round ${round}` },
          { consumptionLimit: { usd: round } },
          { consumptionLimit: { diem: round * 2 } },
          { limitPeriod: round % 2 ? 'MONTH' : 'LIFETIME' },
          { modelPrivacy: round % 2 ? 'PRIVATE_ONLY' : 'PRIVATE_TEXT' },
          { expiresAt: `${2030 + round}-01-01` },
        ];
        const answers = await Promise.all(
          changes.map((c) =>
            t.app.inject({
              method: 'PATCH',
              url: '/api/v1/api_keys',
              headers: { ...bearer(acct.adminKey), ...json },
              payload: JSON.stringify({ id: key.id, ...c }),
            }),
          ),
        );
        expect(answers.map((a) => a.statusCode)).toEqual(Array(6).fill(200));
        const now = await t.services.keys.get(acct.accountId, key.id);
        expect(now).toMatchObject({
          description: `round ${round}`,
          limitUsd: BigInt(round) * 1_000_000n,
          limitDiem: BigInt(round * 2) * 1_000_000n,
          limitPeriod: round % 2 ? 'MONTH' : 'LIFETIME',
          modelPrivacy: round % 2 ? 'PRIVATE_ONLY' : 'PRIVATE_TEXT',
          expiresAt: Date.UTC(2030 + round, 0, 1),
        });
      }
    });

    it('parallel revokes of the last two ADMIN keys leave one', async () => {
      const acct = await newAccount(t);
      const second = await newKey(t, acct.accountId, { type: 'ADMIN' });
      const answers = await Promise.all(
        [acct.adminKeyId, second.id].map((id, i) =>
          t.app.inject({
            method: 'DELETE',
            url: `/api/v1/api_keys?id=${id}`,
            headers: bearer(i === 0 ? second.secret : acct.adminKey),
          }),
        ),
      );
      expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 409]);
      const admins = (await t.services.keys.list(acct.accountId)).filter((k) => k.type === 'ADMIN');
      expect(admins).toHaveLength(1);
    });
  });
}

describe.skipIf(!(await postgresFactory.available()))('several instances on one PostgreSQL', () => {
  let a: TestApp;
  let b: TestApp;
  let second: Store;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    const opened = await postgresFactory.open();
    dispose = opened.dispose;
    second = await openPostgresStore(POSTGRES_URL, { schema: opened.schema as string });
    a = await buildTestApp(opened.store);
    b = await buildTestApp(second);
  });
  afterAll(async () => {
    await a?.app.close();
    await b?.app.close();
    await second?.close();
    await dispose?.();
  });

  it('share idempotency and the per-minute create budget', async () => {
    const acct = await newAccount(a);
    const idem = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        createVia((i % 2 ? a : b).app, acct.adminKey, 'same', { 'idempotency-key': 'multi' }),
      ),
    );
    expect(new Set(idem.map((r) => r.json().data.id)).size).toBe(1);
    const burst = await Promise.all(
      Array.from({ length: 30 }, (_, i) => createVia((i % 2 ? a : b).app, acct.adminKey, `burst ${i}`)),
    );
    // 20 per minute in all: the bootstrap key and the idempotent key took two.
    expect(burst.filter((r) => r.statusCode === 200)).toHaveLength(18);
    expect(burst.filter((r) => r.statusCode === 429)).toHaveLength(12);
  });

  it('a revocation on one instance reaches the other within 1 s', async () => {
    const acct = await newAccount(a);
    const key = await newKey(a, acct.accountId);
    const probe = () =>
      b.app.inject({ method: 'GET', url: '/api/v1/api_keys/rate_limits', headers: bearer(key.secret) });
    expect((await probe()).statusCode).toBe(200);
    await a.app.inject({ method: 'DELETE', url: `/api/v1/api_keys?id=${key.id}`, headers: bearer(acct.adminKey) });
    expect(
      (await a.app.inject({ method: 'GET', url: '/api/v1/api_keys/rate_limits', headers: bearer(key.secret) }))
        .statusCode,
    ).toBe(401);
    await new Promise((r) => setTimeout(r, 1_050));
    expect((await probe()).statusCode).toBe(401);
  });
});
