import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Config } from '../config.js';
import type { AccountService } from '../domain/accounts.js';
import type { Clock } from '../domain/clock.js';
import type { KeyService, NewKeyInput } from '../domain/keys.js';
import type { ApiKeyChanges } from '../domain/model.js';
import { numberFromMicros } from '../domain/money.js';
import type { LimitCounters } from '../domain/ports/counters.js';
import { accountModelLimits } from '../domain/rate-limits.js';
import { iso, isoOrNull, nextEpochBegins } from '../domain/time.js';
import { callerOf } from '../http/auth.js';
import { refuseOtherMethods } from '../http/plumbing.js';
import * as present from '../http/present.js';
import { createKeyBody, deleteKeyInput, idempotencyKeyHeader, listQuery, updateKeyBody } from '../http/schemas.js';
import { fieldInvalid, parseWith } from '../http/validation.js';

export interface ApiKeyRouteDeps {
  keys: KeyService;
  accounts: AccountService;
  counters: LimitCounters;
  clock: Clock;
  config: Pick<Config, 'models'>;
}

type KeySettings = Pick<
  z.output<typeof createKeyBody>,
  'expiresAt' | 'consumptionLimit' | 'limitPeriod' | 'modelPrivacy'
>;

/** An instant already past is refused: a key born expired helps nobody. */
export function futureExpiry(expiresAt: number | null | undefined, now: number): void {
  if (typeof expiresAt === 'number' && expiresAt <= now)
    throw fieldInvalid(['expiresAt'], 'Expiry must be in the future');
}

/** Create-side defaults, shared by POST /api_keys and the web3 mint. */
export function newKeyInput(
  body: KeySettings & { apiKeyType: NewKeyInput['type']; description: string },
  now: number,
): NewKeyInput {
  futureExpiry(body.expiresAt, now);
  return {
    type: body.apiKeyType,
    description: body.description,
    expiresAt: body.expiresAt ?? null,
    limitUsd: body.consumptionLimit?.usd ?? null,
    limitDiem: body.consumptionLimit?.diem ?? null,
    limitPeriod: body.limitPeriod ?? 'EPOCH',
    modelPrivacy: body.modelPrivacy ?? 'ALL',
  };
}

function idempotencyKeyOf(req: FastifyRequest): string | undefined {
  const raw = req.headers['idempotency-key'];
  if (raw === undefined) return undefined;
  return parseWith(idempotencyKeyHeader, raw);
}

export function apiKeyRoutes(app: FastifyInstance, deps: ApiKeyRouteDeps): void {
  const { keys, accounts, counters, clock } = deps;

  app.get('/api/v1/api_keys', async (req) => {
    const { account } = callerOf(req);
    const q = parseWith(listQuery, req.query);
    const page =
      q.page !== undefined || q.limit !== undefined ? { page: q.page ?? 1, limit: q.limit ?? 500 } : undefined;
    const list = await keys.list(account.id, page);
    const usage = await keys.usage(account.id, list);
    return { object: 'list', data: list.map((k) => present.apiKey(k, usage.get(k.id))) };
  });

  app.post('/api/v1/api_keys', async (req) => {
    const { account } = callerOf(req);
    const body = parseWith(createKeyBody, req.body);
    const idempotencyKey = idempotencyKeyOf(req);
    const created = await keys.create(account.id, newKeyInput(body, clock.now()), idempotencyKey);
    return { success: true, data: present.createdKey(created.key, created.secret) };
  });

  app.patch('/api/v1/api_keys', async (req) => {
    const { account } = callerOf(req);
    const body = parseWith(updateKeyBody, req.body);
    futureExpiry(body.expiresAt, clock.now());
    const changes: ApiKeyChanges = {
      description: body.description,
      expiresAt: body.expiresAt,
      limitUsd: body.consumptionLimit?.usd,
      limitDiem: body.consumptionLimit?.diem,
      limitPeriod: body.limitPeriod,
      modelPrivacy: body.modelPrivacy,
    };
    const key = await keys.update(account.id, body.id, changes);
    return { success: true, data: present.apiKeyCore(key) };
  });

  app.delete('/api/v1/api_keys', async (req) => {
    const { account } = callerOf(req);
    const query = req.query as { id?: unknown };
    const fromBody = req.body === undefined ? undefined : parseWith(deleteKeyInput.partial(), req.body).id;
    const { id } = parseWith(deleteKeyInput, { id: query.id ?? fromBody });
    await keys.revoke(account.id, id);
    return { success: true };
  });
  refuseOtherMethods(app, '/api/v1/api_keys', ['GET', 'POST', 'PATCH', 'DELETE']);

  app.get('/api/v1/api_keys/rate_limits', { config: { auth: 'any' } }, async (req) => {
    const { key, account } = callerOf(req);
    const now = clock.now();
    const fresh = await accounts.get(account.id);
    const spendable = await accounts.spendableByKey(fresh, key);
    const models = await accountModelLimits(counters, deps.config.models, fresh.tier, fresh.id, now);
    return {
      data: {
        accessPermitted: spendable.accessPermitted,
        apiTier: { id: fresh.tier, isCharged: true },
        balances: { USD: numberFromMicros(spendable.usd), DIEM: numberFromMicros(spendable.diem) },
        keyExpiration: isoOrNull(key.expiresAt),
        nextEpochBegins: iso(nextEpochBegins(now)),
        rateLimits: models.map((m) => ({
          apiModelId: m.modelId,
          rateLimits: m.limits.map((l) => ({ ...l, resetsAt: iso(l.resetsAt) })),
        })),
      },
    };
  });
  refuseOtherMethods(app, '/api/v1/api_keys/rate_limits', ['GET']);

  app.get('/api/v1/api_keys/rate_limits/log', async (req) => {
    const { account } = callerOf(req);
    const breaches = await accounts.recentBreaches(account.id);
    return {
      object: 'list',
      data: breaches.map((b) => ({
        apiKeyId: b.apiKeyId,
        modelId: b.modelId,
        rateLimitTier: b.tier,
        rateLimitType: b.type,
        timestamp: iso(b.at),
      })),
    };
  });
  refuseOtherMethods(app, '/api/v1/api_keys/rate_limits/log', ['GET']);

  app.get('/api/v1/api_keys/:id', async (req) => {
    const { account } = callerOf(req);
    const { id } = req.params as { id: string };
    const key = await keys.get(account.id, id);
    const usage = await keys.usage(account.id, [key]);
    return { data: present.apiKey(key, usage.get(key.id)) };
  });
  refuseOtherMethods(app, '/api/v1/api_keys/:id', ['GET']);
}
