import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { type ConfigFile, resolveConfig } from '../../src/config.js';
import { MemoryLimitCounters } from '../../src/counters/memory.js';
import type { LimitCounters } from '../../src/domain/ports/counters.js';
import { createAccountWithAdminKey } from '../../src/domain/bootstrap.js';
import { ManualClock } from '../../src/domain/clock.js';
import type { NewKeyInput } from '../../src/domain/keys.js';
import type { Store } from '../../src/storage/types.js';

export const SERVER_SECRET = new TextEncoder().encode('test-server-secret-0123456789abcdef');

export interface TestApp {
  app: FastifyInstance;
  clock: ManualClock;
  store: Store;
  counters: LimitCounters;
}

export async function buildTestApp(
  store: Store,
  options: { config?: ConfigFile; clock?: ManualClock; logger?: FastifyBaseLogger; counters?: LimitCounters } = {},
): Promise<TestApp> {
  const clock = options.clock ?? new ManualClock();
  const counters = options.counters ?? new MemoryLimitCounters();
  const config = resolveConfig(options.config ?? {}, {});
  const app = await buildApp({
    config,
    store,
    counters,
    clock,
    serverSecret: SERVER_SECRET,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  return { app, clock, store, counters };
}

export interface TestAccount {
  accountId: string;
  adminKey: string;
  adminKeyId: string;
}

export async function newAccount(app: FastifyInstance): Promise<TestAccount> {
  const { account, created } = await createAccountWithAdminKey(app.services.accounts, app.services.keys);
  return { accountId: account.id, adminKey: created.secret, adminKeyId: created.key.id };
}

export const inferenceInput = (over: Partial<NewKeyInput> = {}): NewKeyInput => ({
  type: 'INFERENCE',
  description: 'inference key',
  expiresAt: null,
  limitUsd: null,
  limitDiem: null,
  limitPeriod: 'EPOCH',
  modelPrivacy: 'ALL',
  ...over,
});

/** A key made directly through the domain, for tests whose subject is something else. */
export async function newKey(app: FastifyInstance, accountId: string, over: Partial<NewKeyInput> = {}) {
  const created = await app.services.keys.create(accountId, inferenceInput(over));
  return { id: created.key.id, secret: created.secret };
}

export const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });
