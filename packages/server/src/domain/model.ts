/** The records the domain works with. Money is integer micro-units (1e-6) as bigint, time is epoch ms. */

export const API_KEY_TYPES = ['INFERENCE', 'ADMIN'] as const;
export type ApiKeyType = (typeof API_KEY_TYPES)[number];

export const LIMIT_PERIODS = ['EPOCH', 'MONTH', 'LIFETIME'] as const;
export type LimitPeriod = (typeof LIMIT_PERIODS)[number];

export const MODEL_PRIVACIES = ['ALL', 'PRIVATE_TEXT', 'PRIVATE_ONLY'] as const;
export type ModelPrivacy = (typeof MODEL_PRIVACIES)[number];

export interface Account {
  id: string;
  tier: string;
  usdBalance: bigint;
  diemEpochAllocation: bigint;
  walletAddress: string | null;
  createdAt: number;
  /** Set by an operator: the account's keys fail authentication while it is. */
  disabledAt: number | null;
}

export interface ApiKeyRecord {
  id: string;
  accountId: string;
  type: ApiKeyType;
  description: string;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
  lastUsedAt: number | null;
  last6: string;
  limitUsd: bigint | null;
  limitDiem: bigint | null;
  limitPeriod: LimitPeriod;
  modelPrivacy: ModelPrivacy;
}

export interface NewApiKey extends Omit<ApiKeyRecord, 'revokedAt' | 'lastUsedAt'> {
  secretDigest: string;
}

/** Only the fields present change; `null` clears a nullable field. */
export interface ApiKeyChanges {
  description?: string;
  expiresAt?: number | null;
  limitUsd?: bigint | null;
  limitDiem?: bigint | null;
  limitPeriod?: LimitPeriod;
  modelPrivacy?: ModelPrivacy;
}

export interface Spend {
  usd: bigint;
  diem: bigint;
}

export interface IdempotencyRecord {
  keyDigest: string;
  requestHash: string;
  /** The original response, encrypted under a key derived from the Idempotency-Key value. */
  sealedResponse: string;
  createdAt: number;
  expiresAt: number;
}

export const RATE_LIMIT_TYPES = ['RPM', 'RPD', 'TPM', 'FAILED_REQUESTS'] as const;
export type RateLimitType = (typeof RATE_LIMIT_TYPES)[number];

export interface Breach {
  id: string;
  accountId: string;
  apiKeyId: string;
  modelId: string;
  tier: string;
  type: RateLimitType;
  at: number;
}

export function isActive(key: Pick<ApiKeyRecord, 'revokedAt' | 'expiresAt'>, now: number): boolean {
  return key.revokedAt === null && (key.expiresAt === null || key.expiresAt > now);
}
