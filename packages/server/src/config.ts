import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';
import { type CatalogModel, MODEL_PRIVACY_CLASSES, MODEL_TYPES, type TierLimits } from './domain/catalog.js';
import { microsFromNumber } from './domain/money.js';

/**
 * Configuration: environment variables and one optional JSON/YAML file; the environment wins where
 * both speak. Read once, by main.ts; everything else receives the resulting `Config`.
 */

const count = z.number().int().min(0);
const usd = z.number().min(0).max(9_999_999_999);
const tierLimits = z.strictObject({ RPM: count, RPD: count, TPM: count });

const modelSchema = z.strictObject({
  id: z.string().min(1),
  upstreamModel: z.string().min(1).optional(),
  type: z.enum(MODEL_TYPES),
  privacy: z.enum(MODEL_PRIVACY_CLASSES),
  pricing: z.strictObject({ inputUsdPerMTok: usd, outputUsdPerMTok: usd }),
  contextTokens: z.number().int().positive().optional(),
  maxCompletionTokens: z.number().int().positive().optional(),
  rateLimits: z.record(z.string(), tierLimits.partial()).optional(),
});

const fileSchema = z.strictObject({
  server: z
    .strictObject({
      host: z.string().min(1),
      port: z.number().int().min(0).max(65535),
      /** Behind a reverse proxy: trust X-Forwarded-For (true, a hop count, or addresses/CIDRs). */
      trustProxy: z.union([z.boolean(), z.number().int().min(0), z.array(z.string().min(1))]),
    })
    .partial()
    .optional(),
  upstream: z
    .strictObject({ url: z.url(), apiKeyEnv: z.string().min(1), timeoutMs: z.number().int().positive() })
    .partial()
    .optional(),
  accounts: z
    .strictObject({ defaultTier: z.string().min(1), diemEpochAllocation: usd, startingBalanceUsd: usd })
    .partial()
    .optional(),
  tiers: z.record(z.string().min(1), tierLimits).optional(),
  models: z.array(modelSchema).optional(),
  limits: z
    .strictObject({
      keyCreatesPerMinute: z.number().int().positive(),
      maxActiveKeys: z.number().int().positive(),
      web3RequestsPerMinutePerClient: z.number().int().positive(),
      inferenceBodyBytes: z.number().int().positive(),
      requestTimeoutMs: z.number().int().positive(),
      connectionsPerClient: z.number().int().positive(),
    })
    .partial()
    .optional(),
  usage: z
    .strictObject({ retentionDays: z.number().int().min(1).max(36_500) })
    .partial()
    .optional(),
  web3: z
    .strictObject({
      enabled: z.boolean(),
      chainId: z.number().int().positive(),
      rpcUrl: z.url(),
      rpcTimeoutMs: z.number().int().positive(),
      tokenAddress: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte hex address'),
      minBalance: z.string().regex(/^\d+$/, 'must be a decimal integer string (token base units)'),
    })
    .partial()
    .optional(),
});

export type ConfigFile = z.infer<typeof fileSchema>;

export interface Config {
  host: string;
  port: number;
  /** Whose address is the client's: false trusts only the socket (per-client limits key on it). */
  trustProxy: boolean | number | string[];
  databaseUrl: string;
  redisUrl: string | undefined;
  secret: string | undefined;
  /** Earlier server secrets still accepted during a rotation: they verify and open, never sign. */
  acceptedSecrets: string[];
  logLevel: LogLevel;
  /** Where Prometheus metrics are served, on a listener of their own; undefined = no metrics. */
  metricsPort: number | undefined;
  /** How long in-flight requests and streams may take to finish after SIGTERM. */
  shutdownGraceMs: number;
  /** `apiKeyEnv` names the variable the key comes from, for the message when it is missing. */
  upstream: { url: string; apiKey: string | undefined; apiKeyEnv: string; timeoutMs: number };
  accounts: { defaultTier: string; diemEpochAllocation: bigint; startingBalanceUsd: bigint };
  tiers: Record<string, TierLimits>;
  models: CatalogModel[];
  limits: {
    keyCreatesPerMinute: number;
    maxActiveKeys: number;
    web3RequestsPerMinutePerClient: number;
    inferenceBodyBytes: number;
    /** How long a client may take to send a request's headers and body (the response may last longer). */
    requestTimeoutMs: number;
    /** Open connections one client address may hold at once (sockets are finite; a load test may need many). */
    connectionsPerClient: number;
  };
  /** Ledger entries older than `retentionDays` are pruned; daily aggregates are kept forever. */
  usage: { retentionDays: number };
  web3: {
    enabled: boolean;
    chainId: number;
    rpcUrl: string;
    rpcTimeoutMs: number;
    tokenAddress: `0x${string}`;
    minBalance: bigint;
  };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const DEFAULT_TIERS: Record<string, TierLimits> = {
  paid: { RPM: 500, RPD: 100_000, TPM: 2_000_000 },
};

const DEFAULT_CONTEXT_TOKENS = 32_768;
const DEFAULT_MAX_COMPLETION_TOKENS = 4096;

/** A small shipped catalog, so that a fresh start has something to show. */
const DEFAULT_MODELS: z.infer<typeof modelSchema>[] = [
  {
    id: 'venice-uncensored',
    type: 'text',
    privacy: 'private',
    pricing: { inputUsdPerMTok: 0.2, outputUsdPerMTok: 0.9 },
    rateLimits: { paid: { RPM: 50, RPD: 20_000, TPM: 1_000_000 } },
  },
  { id: 'llama-3.3-70b', type: 'text', privacy: 'private', pricing: { inputUsdPerMTok: 0.7, outputUsdPerMTok: 2.8 } },
  { id: 'qwen3-4b', type: 'text', privacy: 'private', pricing: { inputUsdPerMTok: 0.05, outputUsdPerMTok: 0.15 } },
  {
    id: 'grok-41-fast',
    type: 'text',
    privacy: 'anonymous',
    pricing: { inputUsdPerMTok: 0.5, outputUsdPerMTok: 1.25 },
  },
  {
    id: 'text-embedding-bge-m3',
    type: 'embedding',
    privacy: 'private',
    pricing: { inputUsdPerMTok: 0.15, outputUsdPerMTok: 0.6 },
  },
];

function describeIssues(error: z.ZodError, source: string): string {
  return error.issues.map((i) => `${source}: ${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('\n');
}

function parseFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config file ${path}: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = /\.json$/i.test(path) ? JSON.parse(text) : YAML.parse(text);
  } catch (e) {
    throw new ConfigError(
      `config file ${path} is not valid ${/\.json$/i.test(path) ? 'JSON' : 'YAML'}: ${(e as Error).message}`,
    );
  }
  const parsed = fileSchema.safeParse(raw ?? {});
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error, path));
  return parsed.data;
}

function envInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw new ConfigError(`${name} must be a whole number, got ${JSON.stringify(v)}`);
  return Number(v);
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

function envLogLevel(v: string | undefined): LogLevel {
  if (v === undefined || v === '') return 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(v)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}; got ${JSON.stringify(v)}`);
  }
  return v as LogLevel;
}

/** VENICE_KEYS_SECRET_ACCEPTED: comma-separated secrets (ours are base64url, without commas). */
function envSecretList(v: string | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** TRUST_PROXY: `true`/`false`, a hop count, or comma-separated addresses/CIDRs. */
function envTrustProxy(v: string | undefined): boolean | number | string[] | undefined {
  if (v === undefined || v === '') return undefined;
  if (v === 'true' || v === 'false') return v === 'true';
  if (/^\d+$/.test(v)) return Number(v);
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Builds the configuration from the environment (and the file it names); throws ConfigError naming the field. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const file: ConfigFile = env.VENICE_KEYS_CONFIG ? parseFile(env.VENICE_KEYS_CONFIG) : {};
  return resolveConfig(file, env);
}

export function resolveConfig(file: ConfigFile, env: NodeJS.ProcessEnv = {}): Config {
  const tiers = { ...DEFAULT_TIERS, ...file.tiers };
  const defaultTier = file.accounts?.defaultTier ?? 'paid';
  if (!tiers[defaultTier]) throw new ConfigError(`accounts.defaultTier: tier "${defaultTier}" is not defined in tiers`);

  const models = (file.models ?? DEFAULT_MODELS).map((m, i): CatalogModel => {
    const rateLimits: Record<string, TierLimits> = {};
    for (const [tier, defaults] of Object.entries(tiers)) rateLimits[tier] = { ...defaults, ...m.rateLimits?.[tier] };
    for (const tier of Object.keys(m.rateLimits ?? {})) {
      if (!tiers[tier]) throw new ConfigError(`models.${i}.rateLimits.${tier}: tier "${tier}" is not defined in tiers`);
    }
    return {
      id: m.id,
      upstreamModel: m.upstreamModel ?? m.id,
      type: m.type,
      privacy: m.privacy,
      pricing: {
        inputPerMTok: microsFromNumber(m.pricing.inputUsdPerMTok),
        outputPerMTok: microsFromNumber(m.pricing.outputUsdPerMTok),
      },
      contextTokens: m.contextTokens ?? DEFAULT_CONTEXT_TOKENS,
      maxCompletionTokens: m.maxCompletionTokens ?? DEFAULT_MAX_COMPLETION_TOKENS,
      rateLimits,
    };
  });
  const ids = new Set<string>();
  for (const [i, m] of models.entries()) {
    if (ids.has(m.id)) throw new ConfigError(`models.${i}.id: duplicate model id "${m.id}"`);
    ids.add(m.id);
  }

  const apiKeyEnv = file.upstream?.apiKeyEnv ?? 'VENICE_UPSTREAM_API_KEY';
  return {
    host: env.HOST || file.server?.host || '127.0.0.1',
    port: envInt(env, 'PORT') ?? file.server?.port ?? 8787,
    trustProxy: envTrustProxy(env.TRUST_PROXY) ?? file.server?.trustProxy ?? false,
    databaseUrl: env.DATABASE_URL || 'sqlite:./data/venice-keys.db',
    redisUrl: env.REDIS_URL || undefined,
    secret: env.VENICE_KEYS_SECRET || undefined,
    acceptedSecrets: envSecretList(env.VENICE_KEYS_SECRET_ACCEPTED),
    logLevel: envLogLevel(env.LOG_LEVEL),
    metricsPort: envInt(env, 'METRICS_PORT'),
    shutdownGraceMs: envInt(env, 'SHUTDOWN_GRACE_MS') ?? 30_000,
    upstream: {
      url: env.VENICE_UPSTREAM_URL || file.upstream?.url || 'https://api.venice.ai/api/v1',
      apiKey: env[apiKeyEnv] || undefined,
      apiKeyEnv,
      timeoutMs: file.upstream?.timeoutMs ?? 600_000,
    },
    accounts: {
      defaultTier,
      diemEpochAllocation: microsFromNumber(file.accounts?.diemEpochAllocation ?? 0),
      startingBalanceUsd: microsFromNumber(file.accounts?.startingBalanceUsd ?? 0),
    },
    tiers,
    models,
    limits: {
      keyCreatesPerMinute: file.limits?.keyCreatesPerMinute ?? 20,
      maxActiveKeys: file.limits?.maxActiveKeys ?? 500,
      web3RequestsPerMinutePerClient: file.limits?.web3RequestsPerMinutePerClient ?? 30,
      inferenceBodyBytes: file.limits?.inferenceBodyBytes ?? 32 * 1024 * 1024,
      requestTimeoutMs: file.limits?.requestTimeoutMs ?? 30_000,
      connectionsPerClient: file.limits?.connectionsPerClient ?? 1024,
    },
    usage: { retentionDays: file.usage?.retentionDays ?? 400 },
    web3: {
      // Off unless asked for: minting lets anyone holding the token create an account.
      enabled: file.web3?.enabled ?? false,
      chainId: file.web3?.chainId ?? 8453,
      rpcUrl: file.web3?.rpcUrl ?? 'https://mainnet.base.org',
      rpcTimeoutMs: file.web3?.rpcTimeoutMs ?? 5_000,
      tokenAddress: (file.web3?.tokenAddress ?? '0x321b7ff75154472B18EDb199033fF4D116F340Ff') as `0x${string}`,
      minBalance: BigInt(file.web3?.minBalance ?? '1'),
    },
  };
}
