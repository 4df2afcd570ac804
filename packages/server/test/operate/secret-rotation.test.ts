import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import { withKeyDefaults } from '../../src/domain/keys.js';
import { cursorKey, signCursor } from '../../src/domain/usage/cursor.js';
import { UsageHistory } from '../../src/domain/usage/history.js';
import type { UsageEntry, UsageReader } from '../../src/domain/usage/ports.js';
import { openRuntime } from '../../src/runtime.js';
import { openSqliteStore } from '../../src/storage/sqlite.js';
import { jwtChallenges } from '../../src/web3/adapters.js';
import { bearer, buildTestApp, newAccount } from '../support/app.js';
import { ManualClock } from '../support/clock.js';

/**
 * A rotation rolls across the instances: for a while some sign with the old secret and some with the
 * new, so every instance must accept what the others signed. VENICE_KEYS_SECRET_ACCEPTED lists the
 * secrets that are still accepted (never used to sign).
 */
const OLD = new TextEncoder().encode('the-old-server-secret-0123456789');
const NEW = new TextEncoder().encode('the-new-server-secret-9876543210');

const dir = mkdtempSync(join(tmpdir(), 'vk-rotation-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('rotating the server secret', () => {
  it('replays an idempotent creation made under an accepted secret, and refuses a different body', async () => {
    const store = await openSqliteStore(join(dir, 'idempotency.db'));
    const before = await buildTestApp(store, { secret: OLD });
    const acct = await newAccount(before);
    const create = (t: { app: typeof before.app }, description: string, key: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/api_keys',
        headers: { ...bearer(acct.adminKey), 'content-type': 'application/json', 'idempotency-key': key },
        payload: JSON.stringify({ apiKeyType: 'INFERENCE', description }),
      });
    const first = await create(before, 'rotated', 'create-once');
    expect(first.statusCode).toBe(200);

    const after = await buildTestApp(store, { secret: NEW, acceptedSecrets: [OLD] });
    const replay = await create(after, 'rotated', 'create-once');
    expect(replay.statusCode).toBe(200);
    expect(replay.json().data).toEqual(first.json().data);
    const conflict = await create(after, 'another body', 'create-once');
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json()).toEqual({ error: 'Idempotency-Key was already used with a different request' });

    // What a rotation without the accepted secret did: the retry is not recognised and makes a new key.
    const forgetful = await buildTestApp(store, { secret: NEW });
    const duplicate = await create(forgetful, 'rotated', 'create-once');
    expect(duplicate.statusCode).toBe(200);
    expect(duplicate.json().data.id).not.toBe(first.json().data.id);

    // New records are made under the current secret: an instance that knows only the new one replays them.
    const fresh = await create(after, 'made after the rotation', 'create-after');
    expect((await create(forgetful, 'made after the rotation', 'create-after')).json().data).toEqual(fresh.json().data);
    for (const t of [before, after, forgetful]) await t.app.close();
    await store.close();
  });

  it('takes the accepted secrets from VENICE_KEYS_SECRET_ACCEPTED when the runtime opens', async () => {
    const url = `sqlite:${join(dir, 'opened.db')}`;
    const open = (env: Record<string, string>) =>
      openRuntime(resolveConfig({}, { DATABASE_URL: url, ...env }), { serving: false });
    const input = withKeyDefaults({ type: 'INFERENCE', description: 'opened' });
    const old = await openRuntime(
      resolveConfig({}, { DATABASE_URL: url, VENICE_KEYS_SECRET: 'old-secret-0123456789' }),
      {
        serving: false,
      },
    );
    const account = await old.services.accounts.create();
    const made = await old.services.keys.create(account.id, input, 'k');
    await old.close();

    const rotated = await open({
      VENICE_KEYS_SECRET: 'new-secret-0123456789',
      VENICE_KEYS_SECRET_ACCEPTED: ' x-unused-one ,old-secret-0123456789,',
    });
    expect(rotated.config.acceptedSecrets).toEqual(['x-unused-one', 'old-secret-0123456789']);
    const again = await rotated.services.keys.create(account.id, input, 'k');
    expect(again).toMatchObject({ replayed: true, secret: made.secret, key: { id: made.key.id } });
    await rotated.close();
  });

  it('verifies web3 tokens signed under an accepted secret, and signs new ones under the current one', async () => {
    const clock = new ManualClock();
    const before = jwtChallenges({ current: OLD, accepted: [] }, clock);
    const after = jwtChallenges({ current: NEW, accepted: [OLD] }, clock);
    const onlyNew = jwtChallenges({ current: NEW, accepted: [] }, clock);
    const { token } = await before.issue();
    await expect(after.verify(token)).resolves.toMatchObject({ jti: expect.any(String) });
    await expect(onlyNew.verify(token)).rejects.toMatchObject({ message: 'JWT signature is invalid' });
    const issued = await after.issue();
    await expect(onlyNew.verify(issued.token)).resolves.toMatchObject({ jti: expect.any(String) });
    await expect(before.verify(issued.token)).rejects.toMatchObject({ message: 'JWT signature is invalid' });
    // Any other refusal is final: an expired token signed under the accepted secret says it expired.
    clock.advance(24 * 3_600_000);
    await expect(after.verify(token)).rejects.toMatchObject({ message: 'JWT has expired' });
  });

  it('continues usage-history walks whose cursor an accepted secret signed, and signs new ones under the current one', async () => {
    const clock = new ManualClock();
    const account = 'a0000000-0000-4000-8000-000000000000';
    const entry = (id: string): UsageEntry => ({
      id,
      apiKeyId: 'k',
      requestId: 'r',
      at: 1,
      modelId: 'm',
      sku: 'm-llm-input-mtoken',
      kind: 'input',
      tokens: 1n,
      pricePerMTok: 1n,
      amount: 1n,
      currency: 'USD',
      promptTokens: 1,
      completionTokens: 0,
      executionMs: 0,
    });
    const reader = { ledgerPage: async () => [entry('e1'), entry('e2')] } as unknown as UsageReader;
    const rotated = new UsageHistory(reader, clock, [cursorKey(NEW), cursorKey(OLD)]);
    const onlyNew = new UsageHistory(reader, clock, [cursorKey(NEW)]);
    const walk = { pageSize: 1, asOf: clock.now(), after: { at: 1, id: 'e1' } };
    const signedBefore = signCursor(cursorKey(OLD), account, walk, clock.now());
    expect(rotated.openCursor(account, signedBefore)).toEqual({ ok: true, walk });
    expect(onlyNew.openCursor(account, signedBefore)).toEqual({ ok: false, reason: 'invalid' });

    const page = await rotated.firstPage(account, { pageSize: 1 });
    expect(page.nextCursor).not.toBeNull();
    expect(onlyNew.openCursor(account, page.nextCursor as string)).toMatchObject({ ok: true });
  });
});
