import type { FastifyInstance } from 'fastify';
import { type ZodType, z } from 'zod';
import { analyticsQuery, historyQuery } from './admin/routes/usage-query.js';
import { modelsQuery } from './inference/models.js';
import { chatSchema, embeddingSchema } from './inference/requests.js';
import * as R from './openapi-responses.js';
import { createKeyBody, deleteKeyInput, listQuery, updateKeyBody, web3KeyBody } from './schemas.js';

/**
 * The OpenAPI 3.1 document, generated from the zod schemas that validate requests (`io: 'input'`:
 * what a client sends, before our transforms) and from the answers' wire shapes. Served at
 * GET /api/v1/openapi.json; tests check that it is valid and that every route's answers conform.
 */

type Auth = 'admin' | 'any' | 'none';
interface Operation {
  method: 'get' | 'post' | 'patch' | 'delete';
  path: string;
  summary: string;
  auth: Auth;
  body?: ZodType;
  bodyOptional?: boolean;
  query?: ZodType;
  pathId?: boolean;
  ok: keyof typeof COMPONENTS;
  okStatus?: number;
  /** A second representation of the success answer (`Accept: text/csv`, `stream: true`). */
  alsoAs?: 'text/csv' | 'text/event-stream';
  /** The upstream's 4xx answers are passed through: any 4xx but our own 401 may carry its body. */
  upstream?: boolean;
  errors: number[];
  /** Error statuses whose body is not the Error shape. */
  errorBodies?: Partial<Record<number, keyof typeof COMPONENTS>>;
}

const COMPONENTS = {
  ApiKey: R.ApiKey,
  ApiKeyCore: R.ApiKeyCore,
  CreatedApiKey: R.CreatedApiKey,
  ApiKeyList: R.ApiKeyList,
  ApiKeyResult: R.ApiKeyResult,
  CreatedApiKeyResult: R.CreatedApiKeyResult,
  UpdatedApiKeyResult: R.UpdatedApiKeyResult,
  Success: R.Success,
  RateLimitsResult: R.RateLimitsResult,
  RateLimitLog: R.RateLimitLog,
  Web3Token: R.Web3Token,
  Balance: R.Balance,
  UsageHistory: R.UsageHistory,
  UsageAnalytics: R.UsageAnalytics,
  ModelList: R.ModelList,
  Upstream: R.Upstream,
  Error: R.ErrorBody,
  UpstreamError: R.UpstreamError,
  Health: R.Health,
  Ready: R.Ready,
} satisfies Record<string, ZodType>;

// Authenticating reads the key from the store, so a store that cannot be reached is a 503 there.
const AUTH_ERRORS = { admin: [401, 503], any: [401, 503], none: [] } satisfies Record<Auth, number[]>;
const V1 = '/api/v1';

const OPERATIONS: Operation[] = [
  {
    method: 'get',
    path: `${V1}/api_keys`,
    summary: 'List active API keys',
    auth: 'admin',
    query: listQuery,
    ok: 'ApiKeyList',
    errors: [400],
  },
  {
    method: 'post',
    path: `${V1}/api_keys`,
    summary: 'Create an API key',
    auth: 'admin',
    body: createKeyBody,
    ok: 'CreatedApiKeyResult',
    errors: [400, 409, 429],
  },
  {
    method: 'patch',
    path: `${V1}/api_keys`,
    summary: 'Update an API key',
    auth: 'admin',
    body: updateKeyBody,
    ok: 'UpdatedApiKeyResult',
    errors: [400, 404, 409],
  },
  {
    method: 'delete',
    path: `${V1}/api_keys`,
    summary: 'Revoke an API key (id in ?id= or the body)',
    auth: 'admin',
    body: deleteKeyInput,
    bodyOptional: true,
    query: deleteKeyInput.partial(),
    ok: 'Success',
    errors: [400, 404, 409],
  },
  {
    method: 'get',
    path: `${V1}/api_keys/{id}`,
    summary: 'Get an API key',
    auth: 'admin',
    pathId: true,
    ok: 'ApiKeyResult',
    errors: [404],
  },
  {
    method: 'get',
    path: `${V1}/api_keys/rate_limits`,
    summary: "The calling key's rate limits and balances",
    auth: 'any',
    ok: 'RateLimitsResult',
    errors: [503],
  },
  {
    method: 'get',
    path: `${V1}/api_keys/rate_limits/log`,
    summary: "The account's last 50 rate-limit breaches",
    auth: 'admin',
    ok: 'RateLimitLog',
    errors: [],
  },
  {
    method: 'get',
    path: `${V1}/api_keys/generate_web3_key`,
    summary: 'A single-use token for a wallet to sign',
    auth: 'none',
    ok: 'Web3Token',
    errors: [429, 503],
  },
  {
    method: 'post',
    path: `${V1}/api_keys/generate_web3_key`,
    summary: 'Mint a key with a wallet signature',
    auth: 'none',
    body: web3KeyBody,
    ok: 'CreatedApiKeyResult',
    errors: [400, 429, 503],
  },
  {
    method: 'get',
    path: `${V1}/billing/balance`,
    summary: "The account's balances",
    auth: 'admin',
    ok: 'Balance',
    errors: [],
  },
  {
    method: 'get',
    path: `${V1}/billing/usage-history`,
    summary: 'The usage ledger, by cursor',
    auth: 'admin',
    query: historyQuery,
    ok: 'UsageHistory',
    alsoAs: 'text/csv',
    errors: [400],
  },
  {
    method: 'get',
    path: `${V1}/billing/usage-analytics`,
    summary: 'Usage aggregated by day, model and key',
    auth: 'any',
    query: analyticsQuery,
    ok: 'UsageAnalytics',
    errors: [400],
  },
  {
    method: 'get',
    path: `${V1}/billing/usage`,
    summary: 'Removed (use usage-history)',
    auth: 'none',
    ok: 'Error',
    okStatus: 410,
    errors: [],
  },
  {
    method: 'get',
    path: `${V1}/models`,
    summary: 'The model catalog',
    auth: 'none',
    query: modelsQuery,
    ok: 'ModelList',
    // With a key the list is that key's, and looking the key up needs the store.
    errors: [400, 503],
  },
  {
    method: 'post',
    path: `${V1}/chat/completions`,
    summary: 'Chat completion through the gateway (JSON or text/event-stream)',
    auth: 'any',
    body: chatSchema,
    ok: 'Upstream',
    alsoAs: 'text/event-stream',
    upstream: true,
    errors: [400, 402, 403, 404, 413, 429, 502, 503, 504],
  },
  {
    method: 'post',
    path: `${V1}/embeddings`,
    summary: 'Embeddings through the gateway',
    auth: 'any',
    body: embeddingSchema,
    ok: 'Upstream',
    upstream: true,
    errors: [400, 402, 403, 404, 413, 429, 502, 503, 504],
  },
  { method: 'get', path: `${V1}/openapi.json`, summary: 'This document', auth: 'none', ok: 'Upstream', errors: [] },
  { method: 'get', path: '/healthz', summary: 'The process is up', auth: 'none', ok: 'Health', errors: [] },
  {
    method: 'get',
    path: '/readyz',
    summary: 'Database and Redis reachable, migrations done',
    auth: 'none',
    ok: 'Ready',
    errors: [503],
    errorBodies: { 503: 'Ready' },
  },
];

const STATUS_TEXT: Record<number | string, string> = {
  400: 'Invalid request',
  401: 'Authentication required, failed, or an ADMIN key needed',
  402: 'Balance or key limit exhausted',
  403: 'Model privacy restricted',
  404: 'Not found',
  409: 'Conflict',
  410: 'Gone',
  413: 'Body too large',
  '4XX': 'The upstream refused the request: its status and body, passed through',
  429: 'Rate limited (Retry-After)',
  502: 'Upstream failed',
  503: 'Temporarily unavailable or disabled',
  504: 'Upstream timed out',
};

function jsonSchema(schema: ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ 'application/json': { schema } });

function queryParameters(query: ZodType) {
  const s = jsonSchema(query, 'input') as { properties?: Record<string, object>; required?: string[] };
  return Object.entries(s.properties ?? {}).map(([name, schema]) => ({
    name,
    in: 'query',
    required: s.required?.includes(name) ?? false,
    schema,
  }));
}

/** Our error body, or for a passed-through 4xx whatever error body the upstream sent. */
function errorSchema(op: Operation, status: number | string): object {
  const own = typeof status === 'number' ? op.errorBodies?.[status] : undefined;
  if (own) return ref(own);
  const passedThrough = op.upstream && String(status).startsWith('4') && status !== 401;
  return passedThrough ? { anyOf: [ref('Error'), ref('UpstreamError')] } : ref('Error');
}

function operation(op: Operation) {
  const responses: Record<string, unknown> = {
    [String(op.okStatus ?? 200)]: {
      description: op.okStatus ? STATUS_TEXT[op.okStatus] : 'Success',
      content: { ...json(ref(op.ok)), ...(op.alsoAs ? { [op.alsoAs]: { schema: { type: 'string' } } } : {}) },
    },
  };
  // Every body is read under a size limit and must be JSON of the schema: 400 and 413 come with it.
  const bodyErrors = op.body ? [400, 413] : [];
  const statuses = new Set([...AUTH_ERRORS[op.auth], ...bodyErrors, ...op.errors, 405, 500]);
  for (const status of [...[...statuses].sort((a, b) => a - b), ...(op.upstream ? ['4XX'] : [])]) {
    const description = STATUS_TEXT[status] ?? 'Error';
    responses[String(status)] = { description, content: json(errorSchema(op, status)) };
  }
  const parameters = [
    ...(op.pathId ? [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }] : []),
    ...(op.query ? queryParameters(op.query) : []),
  ];
  return {
    operationId: `${op.method}${op.path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
    summary: op.summary,
    ...(op.auth === 'none' ? { security: [] } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(op.body ? { requestBody: { required: !op.bodyOptional, content: json(jsonSchema(op.body, 'input')) } } : {}),
    responses,
  };
}

let cached: Record<string, unknown> | undefined;

export function openApiDocument(version: string): Record<string, unknown> {
  if (cached) return cached;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    paths[op.path] ??= {};
    (paths[op.path] as Record<string, unknown>)[op.method] = operation(op);
  }
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'venice-keys',
      version,
      description: 'Venice-compatible API keys, billing and inference gateway. See docs/api.md for the rules.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: Object.fromEntries(Object.entries(COMPONENTS).map(([name, s]) => [name, jsonSchema(s, 'output')])),
    },
  };
  return cached;
}

/** The routes this document describes, as fastify writes them (for the test that compares both). */
export const DOCUMENTED_ROUTES = OPERATIONS.map((op) => `${op.method.toUpperCase()} ${op.path.replace('{id}', ':id')}`);

export async function openapiRoute(app: FastifyInstance, { version }: { version: string }): Promise<void> {
  app.get(`${V1}/openapi.json`, { config: { auth: 'none' } }, async () => openApiDocument(version));
}
