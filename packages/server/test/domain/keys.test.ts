import { beforeEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import { MemoryLimitCounters } from '../../src/counters/memory.js';
import { AppError } from '../../src/domain/errors.js';
import { moneyAsk } from '../../src/domain/gateway/windows.js';
import { KEY_DEFAULTS, withKeyDefaults } from '../../src/domain/keys.js';
import { MINUTE_MS } from '../../src/domain/time.js';
import { buildRuntime, type Runtime } from '../../src/runtime.js';
import { openSqliteStore } from '../../src/storage/sqlite.js';
import { SERVER_SECRET } from '../support/app.js';
import { ManualClock } from '../support/clock.js';

/** The key rules on their own: the domain over an in-memory SQLite store, no HTTP. */
let runtime: Runtime;
let clock: ManualClock;

beforeEach(async () => {
  clock = new ManualClock();
  const config = resolveConfig({ limits: { keyCreatesPerMinute: 3, maxActiveKeys: 4 } });
  const store = await openSqliteStore(':memory:');
  runtime = buildRuntime({ config, store, counters: new MemoryLimitCounters(), clock, serverSecret: SERVER_SECRET });
  return () => runtime.close();
});

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: unknown) => (e instanceof AppError ? e.code : String(e)),
  );

async function account() {
  return (await runtime.services.accounts.create()).id;
}

describe('key defaults', () => {
  it('fills only what the creator left out', () => {
    expect(withKeyDefaults({ type: 'ADMIN', description: 'd' })).toEqual({
      type: 'ADMIN',
      description: 'd',
      ...KEY_DEFAULTS,
    });
    expect(withKeyDefaults({ type: 'INFERENCE', description: 'd', limitPeriod: 'MONTH', limitUsd: 5n })).toMatchObject({
      limitPeriod: 'MONTH',
      limitUsd: 5n,
      limitDiem: null,
      modelPrivacy: 'ALL',
      expiresAt: null,
    });
  });
});

describe('key rules', () => {
  it('the create rate is per sliding minute of the account', async () => {
    const { keys } = runtime.services;
    const id = await account();
    for (let i = 0; i < 3; i++) await keys.create(id, input());
    const refused = await keys.create(id, input()).catch((e: AppError) => e);
    expect(refused).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: MINUTE_MS });
    clock.advance(MINUTE_MS - 1);
    expect(await code(keys.create(id, input()))).toBe('RATE_LIMITED');
    clock.advance(1);
    expect(await code(keys.create(id, input()))).toBe('ok');
  });

  it('revoked and expired keys do not count against the active cap', async () => {
    const { keys } = runtime.services;
    const id = await account();
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await keys.create(id, input({ expiresAt: clock.now() + 10 * MINUTE_MS })));
    clock.advance(MINUTE_MS);
    made.push(await keys.create(id, input()));
    expect(await code(keys.create(id, input()))).toBe('BAD_REQUEST');
    await keys.revoke(id, made[3]?.key.id as string);
    expect(await code(keys.create(id, input()))).toBe('ok');
    clock.advance(10 * MINUTE_MS);
    expect(await code(keys.create(id, input()))).toBe('ok');
  });

  it('an idempotent create replays the same key, and a different body under the same key conflicts', async () => {
    const { keys } = runtime.services;
    const id = await account();
    const first = await keys.create(id, input(), 'k-1');
    const again = await keys.create(id, input(), 'k-1');
    expect(again).toEqual({ ...first, replayed: true });
    expect(await code(keys.create(id, input({ description: 'other' }), 'k-1'))).toBe('CONFLICT');
    clock.advance(24 * 60 * MINUTE_MS);
    const later = await keys.create(id, input({ description: 'other' }), 'k-1');
    expect(later.replayed).toBe(false);
    expect(later.key.id).not.toBe(first.key.id);
  });

  it('an ADMIN key loses lifetime only while another active ADMIN key lives at least as long', async () => {
    const { keys } = runtime.services;
    const id = await account();
    const admin = await keys.create(id, withKeyDefaults({ type: 'ADMIN', description: 'a' }));
    expect(await code(keys.revoke(id, admin.key.id))).toBe('CONFLICT');
    expect(await code(keys.update(id, admin.key.id, { expiresAt: clock.now() + MINUTE_MS }))).toBe('CONFLICT');
    const shortLived = await keys.create(
      id,
      withKeyDefaults({ type: 'ADMIN', description: 'b', expiresAt: clock.now() + MINUTE_MS }),
    );
    // A key that ends sooner never lets the permanent one end; the permanent one lets it go.
    expect(await code(keys.update(id, admin.key.id, { expiresAt: clock.now() + MINUTE_MS - 1 }))).toBe('CONFLICT');
    expect(await code(keys.revoke(id, admin.key.id))).toBe('CONFLICT');
    expect(await code(keys.update(id, shortLived.key.id, { expiresAt: clock.now() + 1 }))).toBe('ok');
    expect(await code(keys.revoke(id, shortLived.key.id))).toBe('ok');
  });

  it('an unknown, malformed, foreign or ended key is not found', async () => {
    const { keys } = runtime.services;
    const [mine, theirs] = [await account(), await account()];
    const k = await keys.create(theirs, input({ expiresAt: clock.now() + 1 }));
    expect(await code(keys.get(mine, k.key.id))).toBe('NOT_FOUND');
    expect(await code(keys.get(mine, 'not-a-uuid'))).toBe('NOT_FOUND');
    expect(await code(keys.get(theirs, k.key.id))).toBe('ok');
    clock.advance(1);
    expect(await code(keys.get(theirs, k.key.id))).toBe('NOT_FOUND');
  });

  it('authentication marks a key used at most once a minute and refuses an expired key', async () => {
    const { keys } = runtime.services;
    const id = await account();
    const k = await keys.create(id, input({ expiresAt: clock.now() + 5 * MINUTE_MS }));
    const t0 = clock.now();
    expect((await keys.authenticate(k.secret)).key.lastUsedAt).toBe(t0);
    clock.advance(MINUTE_MS - 1);
    await keys.authenticate(k.secret);
    expect((await keys.get(id, k.key.id)).lastUsedAt).toBe(t0);
    clock.advance(1);
    await keys.authenticate(k.secret);
    expect((await keys.get(id, k.key.id)).lastUsedAt).toBe(t0 + MINUTE_MS);
    clock.advance(4 * MINUTE_MS);
    expect(await code(keys.authenticate(k.secret))).toBe('AUTH_FAILED');
    expect(await code(keys.authenticate('not a secret'))).toBe('AUTH_FAILED');
  });

  it('a web3 token mints one key; a refused mint leaves the token unused', async () => {
    const { keys } = runtime.services;
    const id = await account();
    for (let i = 0; i < 3; i++) await keys.create(id, input());
    const token = { jti: 'jti-1', expiresAt: clock.now() + MINUTE_MS };
    expect(await code(keys.mint(id, input(), token))).toBe('RATE_LIMITED');
    expect(await runtime.store.isWeb3TokenUsed('jti-1')).toBe(false);
    clock.advance(MINUTE_MS);
    expect(await code(keys.mint(id, input(), token))).toBe('ok');
    expect(await code(keys.mint(id, input(), token))).toBe('BAD_REQUEST');
  });
});

describe('spendable balances and windows', () => {
  it('a key limit clamps what its account may spend in the current period', async () => {
    const { accounts, keys } = runtime.services;
    const id = await account();
    await accounts.creditUsd(id, 10_000_000n);
    const k = await keys.create(id, input({ limitUsd: 3_000_000n, limitPeriod: 'EPOCH' }));
    await runtime.store.recordSpend(id, k.key.id, Math.floor(clock.now() / 86_400_000), { usd: 2_500_000n, diem: 0n });
    const account0 = await accounts.get(id);
    expect(await accounts.spendableByKey(account0, k.key)).toEqual({ usd: 500_000n, diem: 0n, accessPermitted: true });
    clock.set(Date.UTC(2026, 0, 16));
    expect((await accounts.spendableByKey(account0, k.key)).usd).toBe(3_000_000n);
  });

  it('the rate-limits view reads the live windows of the account', async () => {
    const { keys, rateLimits } = runtime.services;
    const id = await account();
    const k = await keys.create(id, input());
    // Seven requests counted in the RPM window, as admission counts them (the view reads the gateway's windows).
    const rpm = { name: 'qwen3-4b:RPM', windowMs: MINUTE_MS, limit: 500, cost: 7 };
    const money = moneyAsk(k.key, await runtime.services.accounts.get(id), 0n, clock.now());
    const ask = {
      id: 'r',
      accountId: id,
      keyId: k.key.id,
      windows: [rpm],
      money,
      now: clock.now(),
      deadline: clock.now(),
      meta: '',
    };
    const cold = await runtime.reservations.reserve(ask);
    const generation = cold.ok || cold.reason !== 'missing' ? 0 : cold.generation;
    const nothing = { usdBalance: 0n, diemSpentOnDay: 0n, keySpent: { usd: 0n, diem: 0n } };
    await runtime.reservations.initMirrors(id, k.key.id, money, generation, nothing, clock.now());
    expect((await runtime.reservations.reserve(ask)).ok).toBe(true);
    const view = await rateLimits.view(await keys.authenticate(k.secret));
    const qwen = view.models.find((m) => m.modelId === 'qwen3-4b');
    expect(qwen?.limits[0]).toEqual({
      type: 'RPM',
      amount: 500,
      used: 7,
      remaining: 493,
      resetsAt: Math.floor(clock.now() / MINUTE_MS + 1) * MINUTE_MS,
    });
    clock.advance(MINUTE_MS);
    expect((await rateLimits.view(await keys.authenticate(k.secret))).models[2]?.limits[0]?.used).toBe(0);
  });
});

function input(over = {}) {
  return withKeyDefaults({ type: 'INFERENCE', description: 'k', ...over });
}
