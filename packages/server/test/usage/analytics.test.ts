import { describe, expect, it } from 'vitest';
import { DAY_MS, dayOf } from '../../src/domain/time.js';
import { bearer, newAccount, newKey } from '../support/app.js';
import { ManualClock } from '../support/clock.js';
import { storeFactories } from '../support/stores.js';
import { expectInvalid, record, type Spend, type UsageBed, useUsageBed } from './support.js';

const URL_ = '/api/v1/billing/usage-analytics';
const NOW = Date.UTC(2026, 2, 2, 10);
const at = (month: number, day: number, hour = 12) => Date.UTC(2026, month - 1, day, hour);
const usd = (micros: bigint) => Number(micros) / 1e6;

interface Line {
  at: number;
  api_key_id: string;
  model_id: string;
  kind: string;
  currency: string;
  amount: bigint;
  tokens: bigint;
}

/** The account's ledger lines, read straight from the table: what every figure must add up to. */
async function ledgerOf(bed: UsageBed, accountId: string): Promise<Line[]> {
  const rows = await bed.db
    .selectFrom('usage_ledger')
    .select(['at', 'api_key_id', 'model_id', 'kind', 'currency', 'amount', 'tokens'])
    .where('account_id', '=', accountId)
    .execute();
  return rows.map((r) => ({ ...r, at: Number(r.at), amount: BigInt(r.amount), tokens: BigInt(r.tokens) }));
}

function sum(lines: Line[], currency?: string) {
  return lines.filter((l) => !currency || l.currency === currency).reduce((a, l) => a + l.amount, 0n);
}

const tokens = (lines: Line[]) => Number(lines.reduce((a, l) => a + l.tokens, 0n));
const dayText = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

for (const factory of storeFactories) {
  const available = await factory.available();
  describe.skipIf(!available)(`GET /billing/usage-analytics on ${factory.name}`, () => {
    const bed = useUsageBed(factory, { clock: new ManualClock(NOW) });
    const get = (query: Record<string, string>, secret?: string) =>
      bed.app.inject({ method: 'GET', url: URL_, query, headers: secret ? bearer(secret) : {} });

    /** Usage from late February into March, with a day left empty and some of it paid in DIEM. */
    async function seeded() {
      const acct = await newAccount(bed);
      const backend = await newKey(bed, acct.accountId, { description: 'backend' });
      const batch = await newKey(bed, acct.accountId, { description: 'batch jobs' });
      const spends: Spend[] = [];
      for (const [i, day] of [
        [2, 20],
        [2, 24],
        [2, 25],
        [2, 26],
        [2, 28],
        [3, 1],
        [3, 2],
      ].entries()) {
        const [m, d] = day as [number, number];
        spends.push(
          {
            keyId: backend.id,
            modelId: 'llama-3.3-70b',
            at: at(m, d, 1),
            prompt: 1000 * (i + 1),
            completion: 500,
            diem: 200n,
          },
          { keyId: backend.id, modelId: 'venice-uncensored', at: at(m, d, 5), prompt: 3000, completion: 2000 + i },
          { keyId: batch.id, modelId: 'text-embedding-bge-m3', at: at(m, d, 9), prompt: 50_000 + i, completion: 0 },
        );
      }
      await record(bed, acct.accountId, spends);
      const other = await newAccount(bed);
      const stranger = await newKey(bed, other.accountId);
      await record(bed, other.accountId, [
        { keyId: stranger.id, modelId: 'llama-3.3-70b', at: at(3, 1), prompt: 99_999, completion: 99_999 },
      ]);
      return { acct, backend, batch, lines: await ledgerOf(bed, acct.accountId) };
    }

    it('reports days, models and keys that add up to the ledger, across a month boundary', async () => {
      const { acct, backend, batch, lines } = await seeded();
      const res = await get({ lookback: '7d' }, acct.adminKey);
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      expect(Object.keys(body).sort()).toEqual(
        ['byDate', 'byKey', 'byKeyDaily', 'byModel', 'byModelDaily', 'lookback', 'topKeyNames', 'topModels'].sort(),
      );
      expect(body.lookback).toBe('7d');

      const days = Array.from({ length: 7 }, (_, i) => dayOf(NOW) - i);
      const inRange = lines.filter((l) => days.includes(dayOf(l.at)));
      expect(body.byDate).toEqual(
        days.map((day) => {
          const of = lines.filter((l) => dayOf(l.at) === day);
          return { date: dayText(day), USD: usd(sum(of, 'USD')), DIEM: usd(sum(of, 'DIEM')) };
        }),
      );
      expect(body.byDate.map((d: { date: string }) => d.date)).toContain('2026-02-27');
      expect(body.byDate.find((d: { date: string }) => d.date === '2026-02-27')).toEqual({
        date: '2026-02-27',
        USD: 0,
        DIEM: 0,
      });

      const model = (id: string) => inRange.filter((l) => l.model_id === id);
      const kind = (id: string, k: string) => model(id).filter((l) => l.kind === k);
      const totalOf = (ls: Line[]) => ({
        totalUsd: usd(sum(ls, 'USD')),
        totalDiem: usd(sum(ls, 'DIEM')),
        totalUnits: tokens(ls),
      });
      const part = (type: string, ls: Line[]) => ({
        type,
        usd: usd(sum(ls, 'USD')),
        diem: usd(sum(ls, 'DIEM')),
        units: tokens(ls),
      });
      const llm = (id: string) =>
        [part('Input', kind(id, 'input')), part('Output', kind(id, 'output'))].sort(
          (a, b) => b.usd + b.diem - (a.usd + a.diem),
        );
      const expectedModels = [
        {
          modelName: 'llama-3.3-70b',
          unitType: 'tokens',
          modelType: 'LLM',
          ...totalOf(model('llama-3.3-70b')),
          breakdown: llm('llama-3.3-70b'),
        },
        {
          modelName: 'venice-uncensored',
          unitType: 'tokens',
          modelType: 'LLM',
          ...totalOf(model('venice-uncensored')),
          breakdown: llm('venice-uncensored'),
        },
        {
          modelName: 'text-embedding-bge-m3',
          unitType: 'tokens',
          modelType: 'EMBEDDING',
          ...totalOf(model('text-embedding-bge-m3')),
        },
      ].sort((a, b) => b.totalUsd + b.totalDiem - (a.totalUsd + a.totalDiem));
      expect(body.byModel).toEqual(expectedModels);
      expect(body.topModels).toEqual(expectedModels.map((m) => m.modelName));

      const key = (id: string) => inRange.filter((l) => l.api_key_id === id);
      const expectedKeys = [
        { apiKeyId: backend.id, description: 'backend', ...totalOf(key(backend.id)) },
        { apiKeyId: batch.id, description: 'batch jobs', ...totalOf(key(batch.id)) },
      ].sort((a, b) => b.totalUsd + b.totalDiem - (a.totalUsd + a.totalDiem));
      expect(body.byKey).toEqual(expectedKeys);
      expect(body.topKeyNames).toEqual(expectedKeys.map((k) => k.description));

      const ascending = [...days].reverse();
      const spendOn = (day: number, ls: Line[]) => usd(sum(ls.filter((l) => dayOf(l.at) === day)));
      expect(body.byModelDaily).toEqual(
        ascending.map((day) => ({
          date: day * DAY_MS,
          ...Object.fromEntries(expectedModels.map((m) => [m.modelName, spendOn(day, model(m.modelName))])),
        })),
      );
      expect(body.byKeyDaily).toEqual(
        ascending.map((day) => ({
          date: day * DAY_MS,
          backend: spendOn(day, key(backend.id)),
          'batch jobs': spendOn(day, key(batch.id)),
        })),
      );
    });

    it('takes a date range instead, both ends included, and defaults to 7 days', async () => {
      const { acct, lines } = await seeded();
      const res = await get({ startDate: '2026-02-25', endDate: '2026-03-01' }, acct.adminKey);
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      expect(body.lookback).toBe('2026-02-25:2026-03-01');
      expect(body.byDate.map((d: { date: string }) => d.date)).toEqual([
        '2026-03-01',
        '2026-02-28',
        '2026-02-27',
        '2026-02-26',
        '2026-02-25',
      ]);
      const range = lines.filter((l) => l.at >= at(2, 25, 0) && l.at < at(3, 2, 0));
      const total = body.byKey.reduce((a: number, k: { totalUsd: number }) => a + k.totalUsd, 0);
      expect(total).toBeCloseTo(usd(sum(range, 'USD')), 9);
      expect(body.byModelDaily).toHaveLength(5);

      const fallback = (await get({}, acct.adminKey)).json();
      expect(fallback.lookback).toBe('7d');
      expect(fallback.byDate).toHaveLength(7);
      expect((await get({ lookback: '90d' }, acct.adminKey)).json().byDate).toHaveLength(90);
    });

    it('shows an INFERENCE key its own usage only, an ADMIN key the whole account', async () => {
      const { acct, backend, batch, lines } = await seeded();
      const own = await get({ lookback: '30d' }, backend.secret);
      expect(own.statusCode, own.body).toBe(200);
      const body = own.json();
      const mine = lines.filter((l) => l.api_key_id === backend.id);
      expect(body.byKey).toEqual([
        {
          apiKeyId: backend.id,
          description: 'backend',
          totalUsd: usd(sum(mine, 'USD')),
          totalDiem: usd(sum(mine, 'DIEM')),
          totalUnits: tokens(mine),
        },
      ]);
      expect(body.byModel.map((m: { modelName: string }) => m.modelName).sort()).toEqual([
        'llama-3.3-70b',
        'venice-uncensored',
      ]);
      expect(body.topKeyNames).toEqual(['backend']);
      const all = (await get({ lookback: '30d' }, acct.adminKey)).json();
      expect(all.byKey.map((k: { apiKeyId: string }) => k.apiKeyId).sort()).toEqual([backend.id, batch.id].sort());
      const theirs = (await get({ lookback: '30d' }, batch.secret)).json();
      expect(theirs.byKey.map((k: { apiKeyId: string }) => k.apiKeyId)).toEqual([batch.id]);
    });

    it('charts the top 8 models and keys; keys that share a description are told apart', async () => {
      const acct = await newAccount(bed);
      const keys = await Promise.all(
        Array.from({ length: 10 }, (_, i) => newKey(bed, acct.accountId, { description: i < 2 ? 'same' : `key ${i}` })),
      );
      await record(
        bed,
        acct.accountId,
        keys.map((k, i) => ({
          keyId: k.id,
          modelId: `model-${i}`,
          at: at(3, 2, 1),
          prompt: 1000 * (i + 1),
          completion: 10,
        })),
      );
      const body = (await get({ lookback: '1d' }, acct.adminKey)).json();
      expect(body.byModel).toHaveLength(10);
      expect(body.byModel[0]).toMatchObject({ modelName: 'model-9', modelType: null });
      expect(body.topModels).toEqual(Array.from({ length: 8 }, (_, i) => `model-${9 - i}`));
      expect(Object.keys(body.byModelDaily[0]).sort()).toEqual(['date', ...body.topModels].sort());
      expect(body.topKeyNames).toHaveLength(8);
      const same = body.byKey.filter((k: { description: string }) => k.description.startsWith('same'));
      expect(same).toHaveLength(2);
      expect(new Set(same.map((k: { description: string }) => k.description)).size).toBe(2);
      expect(same.every((k: { description: string }) => /^same \([A-Za-z0-9]{6}\)$/.test(k.description))).toBe(true);
    });

    it('refuses bad lookbacks and date ranges with 400 in the contract shape', async () => {
      const acct = await newAccount(bed);
      const cases: [Record<string, string>, string][] = [
        [{ lookback: '0d' }, 'lookback'],
        [{ lookback: '91d' }, 'lookback'],
        [{ lookback: '07d' }, 'lookback'],
        [{ lookback: '7' }, 'lookback'],
        [{ lookback: '7D' }, 'lookback'],
        [{ startDate: '2026-02-01' }, 'endDate'],
        [{ endDate: '2026-02-01' }, 'startDate'],
        [{ startDate: '2026-02-30', endDate: '2026-03-01' }, 'startDate'],
        [{ startDate: '2026-03-01', endDate: '2026-02-28' }, 'endDate'],
        [{ startDate: '2025-01-01', endDate: '2026-01-02' }, 'endDate'],
        [{ lookback: '7d', startDate: '2026-02-01', endDate: '2026-02-02' }, 'lookback'],
        [{ since: '7d' }, ''],
      ];
      for (const [query, path] of cases) expectInvalid(await get(query, acct.adminKey), path);
      expect((await get({ startDate: '2025-03-02', endDate: '2026-03-02' }, acct.adminKey)).statusCode).toBe(200);
      expect((await get({})).json()).toEqual({ error: 'Authentication required' });
    });
  });
}

describe('GET /billing/usage', () => {
  const bed = useUsageBed(storeFactories[0] as (typeof storeFactories)[number]);

  it('is gone: 410 with the sunset headers, whoever asks', async () => {
    const acct = await newAccount(bed);
    for (const headers of [{}, bearer(acct.adminKey), bearer('VENICE_ADMIN_KEY_nonsense')]) {
      const res = await bed.app.inject({ method: 'GET', url: '/api/v1/billing/usage?page=2&limit=10', headers });
      expect(res.statusCode).toBe(410);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['x-request-id']).toBeTruthy();
      expect(res.headers.deprecation).toBe('@1783555200');
      expect(res.headers.sunset).toBe('Wed, 16 Sep 2026 00:00:00 GMT');
      expect(res.headers.link).toBe('</api/v1/billing/usage-history>; rel="successor-version"');
      expect(res.json()).toEqual({ error: 'This endpoint has been removed. Use GET /api/v1/billing/usage-history.' });
    }
    const post = await bed.app.inject({ method: 'POST', url: '/api/v1/billing/usage' });
    expect(post.statusCode).toBe(405);
  });
});
