/** The model catalog as the domain sees it: built by config.ts, read by limits, admission and `/models`. */

export const MODEL_TYPES = ['text', 'embedding', 'image', 'audio', 'video'] as const;
export type ModelType = (typeof MODEL_TYPES)[number];

export const MODEL_PRIVACY_CLASSES = ['private', 'tee', 'e2ee', 'anonymous'] as const;
export type ModelPrivacyClass = (typeof MODEL_PRIVACY_CLASSES)[number];

/** Requests per minute, requests per day, tokens per minute: one tier's limits for one model. */
export interface TierLimits {
  RPM: number;
  RPD: number;
  TPM: number;
}

export interface CatalogModel {
  id: string;
  upstreamModel: string;
  type: ModelType;
  privacy: ModelPrivacyClass;
  /** Micro-USD per million tokens. */
  pricing: { inputPerMTok: bigint; outputPerMTok: bigint };
  /** The most prompt tokens one request may carry: the bound of last resort of what it reserves. */
  contextTokens: number;
  /** The most output tokens one choice may reserve; also caps `max_tokens`. */
  maxCompletionTokens: number;
  /** Limits per tier, already merged over the tier defaults. */
  rateLimits: Record<string, TierLimits>;
}
