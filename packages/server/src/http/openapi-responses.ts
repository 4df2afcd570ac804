import { z } from 'zod';
import { API_KEY_TYPES, LIMIT_PERIODS, MODEL_PRIVACIES, RATE_LIMIT_TYPES } from '../domain/model.js';

/**
 * Wire shapes of the answers, for the OpenAPI document (requests come from the schemas that validate
 * them). Money in usage figures is a 4-decimal string; limits and balances are numbers.
 */

const instant = z.iso.datetime({ precision: 3 });
const usageFigure = z.string().regex(/^\d+\.\d{4}$/);
const limits = z.object({ usd: z.number().nullable(), diem: z.number().nullable(), vcu: z.null() });

const apiKeyCoreShape = {
  id: z.uuid(),
  apiKeyType: z.enum(API_KEY_TYPES),
  description: z.string(),
  createdAt: instant,
  expiresAt: instant.nullable(),
  lastUsedAt: instant.nullable(),
  last6Chars: z.string().length(6),
  consumptionLimits: limits,
  limitPeriod: z.enum(LIMIT_PERIODS),
  modelPrivacy: z.enum(MODEL_PRIVACIES),
};

export const ApiKeyCore = z.object(apiKeyCoreShape).meta({ description: 'An API key without its usage' });
export const ApiKey = z
  .object({
    ...apiKeyCoreShape,
    usage: z.object({ trailingSevenDays: z.object({ usd: usageFigure, diem: usageFigure, vcu: usageFigure }) }),
    currentPeriodUsage: z.object({ usd: usageFigure, diem: usageFigure }).optional(),
  })
  .meta({ description: 'An API key; currentPeriodUsage only when it has a USD or DIEM limit' });

export const CreatedApiKey = z
  .object({
    id: z.uuid(),
    apiKey: z.string().regex(/^VENICE_(INFERENCE|ADMIN)_KEY_[A-Za-z0-9]{44}$/),
    apiKeyType: z.enum(API_KEY_TYPES),
    description: z.string(),
    expiresAt: instant.nullable(),
    consumptionLimit: limits,
    limitPeriod: z.enum(LIMIT_PERIODS),
    modelPrivacy: z.enum(MODEL_PRIVACIES),
  })
  .meta({ description: 'A new key: apiKey is the secret, returned here and never again' });

export const ApiKeyList = z.object({ object: z.literal('list'), data: z.array(ApiKey) });
export const ApiKeyResult = z.object({ data: ApiKey });
export const CreatedApiKeyResult = z.object({ success: z.literal(true), data: CreatedApiKey });
export const UpdatedApiKeyResult = z.object({ success: z.literal(true), data: ApiKeyCore });
export const Success = z.object({ success: z.literal(true) });

export const RateLimitsResult = z.object({
  data: z.object({
    accessPermitted: z.boolean(),
    apiTier: z.object({ id: z.string(), isCharged: z.literal(true) }),
    balances: z.object({ USD: z.number(), DIEM: z.number() }),
    keyExpiration: instant.nullable(),
    nextEpochBegins: instant,
    rateLimits: z.array(
      z.object({
        apiModelId: z.string(),
        rateLimits: z.array(
          z.object({
            type: z.enum(['RPM', 'RPD', 'TPM']),
            amount: z.number().int(),
            used: z.number().int(),
            remaining: z.number().int(),
            resetsAt: instant,
          }),
        ),
      }),
    ),
  }),
});

export const RateLimitLog = z.object({
  object: z.literal('list'),
  data: z.array(
    z.object({
      apiKeyId: z.uuid(),
      modelId: z.string(),
      rateLimitTier: z.string(),
      rateLimitType: z.enum(RATE_LIMIT_TYPES),
      timestamp: instant,
    }),
  ),
});

export const Web3Token = z.object({ success: z.literal(true), data: z.object({ token: z.string() }) });

export const Balance = z.object({
  canConsume: z.boolean(),
  consumptionCurrency: z.enum(['DIEM', 'USD']).nullable(),
  balances: z.object({ diem: z.number(), usd: z.number() }),
  diemEpochAllocation: z.number(),
});

export const UsageHistory = z.object({
  data: z.array(
    z.looseObject({
      timestamp: instant,
      sku: z.string(),
      units: z.number(),
      pricePerUnitUsd: z.number(),
      amount: z.number(),
      currency: z.string(),
      notes: z.string(),
      inferenceDetails: z
        .object({
          requestId: z.string(),
          promptTokens: z.number().int(),
          completionTokens: z.number().int(),
          inferenceExecutionTime: z.number(),
        })
        .nullable(),
    }),
  ),
  nextCursor: z.string().nullable(),
});

export const UsageAnalytics = z.looseObject({
  lookback: z.string(),
  byDate: z.array(z.looseObject({})),
  byModel: z.array(z.looseObject({})),
  byModelDaily: z.unknown(),
  topModels: z.unknown(),
  byKey: z.array(z.looseObject({})),
  byKeyDaily: z.unknown(),
  topKeyNames: z.unknown(),
});

export const ModelList = z.object({
  object: z.literal('list'),
  type: z.string(),
  data: z.array(z.looseObject({ id: z.string(), object: z.literal('model'), type: z.string() })),
});

export const Upstream = z.looseObject({}).meta({ description: "The upstream's answer, with cost {usd, diem}" });

export const ErrorBody = z
  .object({
    error: z.string(),
    code: z.string().optional(),
    details: z.looseObject({}).optional(),
    issues: z
      .array(z.looseObject({ code: z.string(), path: z.array(z.union([z.string(), z.number()])), message: z.string() }))
      .optional(),
  })
  .meta({ description: 'Every error: a message, sometimes a code; validation errors add details and issues' });

export const UpstreamError = z
  .looseObject({ error: z.union([z.string(), z.looseObject({})]) })
  .meta({ description: "An upstream's refusal as it sent it: {error: message} or OpenAI's {error: {message, …}}" });

export const Health = z.object({ status: z.literal('ok') });
export const Ready = z.object({
  status: z.enum(['ready', 'unavailable']),
  checks: z.record(z.string(), z.enum(['ok', 'failing'])),
  failing: z.array(z.string()).optional(),
  error: z.string().optional(),
});
