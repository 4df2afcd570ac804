import type { CatalogModel } from '../../domain/catalog.js';
import type { Admitted, InferenceDemand } from '../../domain/gateway/admission.js';
import type { TokenBounds } from '../../domain/gateway/bounds.js';
import type { Account, ApiKeyRecord } from '../../domain/model.js';
import type { UpstreamPath } from '../../upstream/client.js';

/** What the inference routes need of the gateway engine. */
export interface InferenceGateway {
  admit(demand: InferenceDemand): Promise<Admitted>;
  recordFailure(key: ApiKeyRecord, account: Account, status: number, modelId?: string): Promise<void>;
}

/** One validated inference request, ready to be admitted and forwarded. */
export interface Exchange {
  path: UpstreamPath;
  model: CatalogModel;
  /** The parsed body and the bytes it came from (forwarded as they are when nothing needs changing). */
  body: Record<string, unknown>;
  raw: Buffer;
  stream: boolean;
  bounds: TokenBounds;
  /** The prompt counted by a tokenizer, for a request that ends without usage (off the hot path). */
  estimatePrompt(): Promise<number>;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

/** Money on the wire of `cost`: USD and DIEM as numbers. */
export const costOnWire = (c: { usd: bigint; diem: bigint }) => ({
  usd: Number(c.usd) / 1e6,
  diem: Number(c.diem) / 1e6,
});

export function usageOf(raw: unknown): Usage | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const u = raw as { prompt_tokens?: unknown; completion_tokens?: unknown };
  if (typeof u.prompt_tokens !== 'number') return undefined;
  const completion = typeof u.completion_tokens === 'number' ? u.completion_tokens : 0;
  return {
    promptTokens: Math.max(0, Math.ceil(u.prompt_tokens)),
    completionTokens: Math.max(0, Math.ceil(completion)),
  };
}
