import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { AccountService } from '../../../domain/accounts.js';
import type { Clock } from '../../../domain/clock.js';
import { type KeyService, type NewKeyInput, withKeyDefaults } from '../../../domain/keys.js';
import type { ApiKeyChanges } from '../../../domain/model.js';
import type { RateLimitService } from '../../../domain/rate-limits.js';
import { callerOf } from '../../auth.js';
import { singleHeader } from '../../headers.js';
import * as present from '../../present.js';
import { createKeyBody, deleteKeyInput, idempotencyKeyHeader, listQuery, updateKeyBody } from '../../schemas.js';
import { fieldInvalid, parseWith } from '../../validation.js';

export interface ApiKeyRouteDeps {
  keys: KeyService;
  accounts: AccountService;
  rateLimits: RateLimitService;
  clock: Clock;
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

/** The settings of a create or update body in the domain's words; `undefined` where the body is silent. */
function keyChanges(body: KeySettings & { description?: string }, now: number): ApiKeyChanges {
  futureExpiry(body.expiresAt, now);
  return {
    description: body.description,
    expiresAt: body.expiresAt,
    limitUsd: body.consumptionLimit?.usd,
    limitDiem: body.consumptionLimit?.diem,
    limitPeriod: body.limitPeriod,
    modelPrivacy: body.modelPrivacy,
  };
}

/** A create body (POST /api_keys or the web3 mint) as the domain's input. */
export function newKeyInput(
  body: KeySettings & { apiKeyType: NewKeyInput['type']; description: string },
  now: number,
): NewKeyInput {
  return withKeyDefaults({ ...keyChanges(body, now), type: body.apiKeyType, description: body.description });
}

function idempotencyKeyOf(req: FastifyRequest): string | undefined {
  const raw = singleHeader(req, 'idempotency-key', 'Idempotency-Key');
  if (raw === undefined) return undefined;
  return parseWith(idempotencyKeyHeader, raw);
}

export function apiKeyRoutes(app: FastifyInstance, deps: ApiKeyRouteDeps): void {
  const { keys, accounts, rateLimits, clock } = deps;

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
    const key = await keys.update(account.id, body.id, keyChanges(body, clock.now()));
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

  app.get('/api/v1/api_keys/rate_limits', { config: { auth: 'any' } }, async (req) => {
    return { data: present.rateLimits(await rateLimits.view(callerOf(req))) };
  });

  app.get('/api/v1/api_keys/rate_limits/log', async (req) => {
    const breaches = await accounts.recentBreaches(callerOf(req).account.id);
    return { object: 'list', data: breaches.map(present.breach) };
  });

  app.get('/api/v1/api_keys/:id', async (req) => {
    const { account } = callerOf(req);
    const { id } = req.params as { id: string };
    const key = await keys.get(account.id, id);
    const usage = await keys.usage(account.id, [key]);
    return { data: present.apiKey(key, usage.get(key.id)) };
  });
}
