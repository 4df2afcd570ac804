import type { LightMyRequestResponse } from 'fastify';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, expect } from 'vitest';
import { costOfUsage, ledgerEntries, type Prices } from '../../src/domain/gateway/pricing.js';
import type { SettlementRecord } from '../../src/domain/ports/ledger.js';
import { newId } from '../../src/domain/secrets.js';
import { dayOf } from '../../src/domain/time.js';
import { KyselyUsageLedger, type LedgerTables } from '../../src/storage/ledger-store.js';
import { ledgerDb } from '../gateway-engine/engine.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import type { StoreFactory } from '../support/stores.js';

/** The app over a fresh store, with the ledger the gateway writes through, to seed usage the way settlement does. */
export interface UsageBed extends TestApp {
  db: Kysely<LedgerTables>;
  ledger: KyselyUsageLedger;
}

export function useUsageBed(factory: StoreFactory, options: Parameters<typeof buildTestApp>[1] = {}): UsageBed {
  const bed = {} as UsageBed;
  let dispose: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const opened = await factory.open();
    const db = ledgerDb(opened);
    dispose = async () => {
      await db.destroy();
      await opened.dispose();
    };
    Object.assign(bed, await buildTestApp(opened.store, options), { db, ledger: new KyselyUsageLedger(db) });
  });
  afterAll(async () => {
    await bed.app?.close();
    await dispose?.();
  });
  return bed;
}

export const PRICES: Record<string, Prices> = {
  'venice-uncensored': { inputPerMTok: 200_000n, outputPerMTok: 900_000n },
  'llama-3.3-70b': { inputPerMTok: 700_000n, outputPerMTok: 2_800_000n },
  'text-embedding-bge-m3': { inputPerMTok: 150_000n, outputPerMTok: 600_000n },
};

export interface Spend {
  keyId: string;
  modelId: string;
  at: number;
  prompt: number;
  completion: number;
  /** How much of the cost DIEM paid (micro-units, capped at the cost); the rest is USD. */
  diem?: bigint;
  requestId?: string;
}

/** One settled request as settlement records it: its SKU lines priced by the gateway's own pricing. */
export function settlement(accountId: string, s: Spend): SettlementRecord {
  const prices = PRICES[s.modelId] ?? { inputPerMTok: 1_000_000n, outputPerMTok: 3_000_000n };
  const embedding = s.modelId.includes('embedding');
  const usage = { promptTokens: s.prompt, completionTokens: embedding ? 0 : s.completion };
  const cost = costOfUsage(prices, usage);
  const diem = (s.diem ?? 0n) < cost ? (s.diem ?? 0n) : cost;
  const charge = { usd: cost - diem, diem };
  return {
    reservationId: newId(),
    accountId,
    apiKeyId: s.keyId,
    requestId: s.requestId ?? `req-${newId()}`,
    modelId: s.modelId,
    at: s.at,
    day: dayOf(s.at),
    charge,
    ...usage,
    executionMs: 1234,
    entries: ledgerEntries({ modelId: s.modelId, embedding, prices, usage, charge, freeCurrency: 'USD', newId }),
  };
}

/** Records the spends through the ledger port; returns their lines in the walk's order (timestamp, then id). */
export async function record(bed: UsageBed, accountId: string, spends: readonly Spend[]) {
  const batch = spends.map((s) => settlement(accountId, s));
  await bed.ledger.record(batch);
  return batch
    .flatMap((s) => s.entries.map((e) => ({ ...e, at: s.at, requestId: s.requestId, apiKeyId: s.apiKeyId })))
    .sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1));
}

/** The contract's validation 400, naming `path` ('' for the query as a whole), with x-request-id. */
export function expectInvalid(res: LightMyRequestResponse, path: string, message?: RegExp): void {
  expect(res.statusCode, res.body).toBe(400);
  expect(res.headers['x-request-id']).toBeTruthy();
  const body = res.json();
  expect(body.error).toBe('Invalid request parameters');
  expect(
    body.issues.map((i: { path: string[] }) => i.path.join('.')),
    res.body,
  ).toContain(path);
  const node = path === '' ? body.details : body.details[path];
  expect(node._errors.length).toBeGreaterThan(0);
  if (message) expect(node._errors.join(' ')).toMatch(message);
}
