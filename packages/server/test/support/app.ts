import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { type ConfigFile, resolveConfig } from '../../src/config.js';
import { MemoryLimitCounters } from '../../src/counters/memory.js';
import { createAccountWithAdminKey } from '../../src/domain/bootstrap.js';
import { type NewKeyInput, withKeyDefaults } from '../../src/domain/keys.js';
import type { LimitCounters } from '../../src/domain/ports/counters.js';
import type { ReadinessCheck } from '../../src/http/health.js';
import { buildRuntime } from '../../src/runtime.js';
import type { Services } from '../../src/services.js';
import type { Store } from '../../src/storage/types.js';
import { ManualClock } from './clock.js';
import { checkConformance } from './openapi.js';

export const SERVER_SECRET = new TextEncoder().encode('test-server-secret-0123456789abcdef');

export interface TestApp {
  app: FastifyInstance;
  clock: ManualClock;
  store: Store;
  counters: LimitCounters;
  services: Services;
}

export async function buildTestApp(
  store: Store,
  options: {
    config?: ConfigFile;
    clock?: ManualClock;
    logger?: FastifyBaseLogger;
    counters?: LimitCounters;
    readiness?: readonly ReadinessCheck[];
    /** Another server secret than SERVER_SECRET, and earlier ones still accepted (a rotation). */
    secret?: Uint8Array;
    acceptedSecrets?: readonly Uint8Array[];
  } = {},
): Promise<TestApp> {
  const clock = options.clock ?? new ManualClock();
  const counters = options.counters ?? new MemoryLimitCounters();
  const config = resolveConfig(options.config ?? {}, {});
  const runtime = buildRuntime({
    config,
    store,
    counters,
    clock,
    serverSecret: options.secret ?? SERVER_SECRET,
    ...(options.acceptedSecrets ? { acceptedSecrets: options.acceptedSecrets } : {}),
  });
  const app = checkConformance(
    await buildApp({
      ...runtime,
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.readiness ? { readiness: options.readiness } : {}),
    }),
  );
  return { app, clock, store, counters, services: runtime.services };
}

export interface TestAccount {
  accountId: string;
  adminKey: string;
  adminKeyId: string;
}

export async function newAccount(t: Pick<TestApp, 'services'>): Promise<TestAccount> {
  const { account, created } = await createAccountWithAdminKey(t.services.accounts, t.services.keys);
  return { accountId: account.id, adminKey: created.secret, adminKeyId: created.key.id };
}

export const inferenceInput = (over: Partial<NewKeyInput> = {}): NewKeyInput =>
  withKeyDefaults({ type: 'INFERENCE', description: 'inference key', ...over });

/** A key made directly through the domain, for tests whose subject is something else. */
export async function newKey(t: Pick<TestApp, 'services'>, accountId: string, over: Partial<NewKeyInput> = {}) {
  const created = await t.services.keys.create(accountId, inferenceInput(over));
  return { id: created.key.id, secret: created.secret };
}

export const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });
