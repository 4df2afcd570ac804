import { retryAfterMs } from '../core/errors.js';

/**
 * What a request does to the server, which decides whether it may be repeated: `read`, `update`
 * (PATCH sets fields) and `delete` may be; a `create` only where the Idempotency-Key is honoured;
 * a `mint` spends a single-use token.
 */
export type RequestKind = 'read' | 'update' | 'delete' | 'create' | 'mint';

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  kind: RequestKind;
  /** The media type asked for; anything but JSON is handed to the transform as text. Default JSON. */
  accept?: 'application/json' | 'text/csv';
}

/** The outcome of one failed attempt, as the retry policy sees it. */
export type AttemptOutcome =
  | { kind: 'connection' | 'timeout' }
  | { kind: 'response'; status: number; headers: Headers };

export const RETRY_AFTER_CAP_MS = 60_000;
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 8_000;
const JITTER = 0.25;

/**
 * The whole retry policy: whether a failed attempt (`attempt` is 0-based) is followed by another,
 * and after how many milliseconds; undefined means "do not retry".
 *
 * - `read`, `update`, `delete`: connection errors, timeouts, 408, 429, 5xx, or `x-should-retry: true`.
 * - `create` with an honoured Idempotency-Key: the same, since a replay returns the original key.
 * - `create` without one (api.venice.ai), `mint` (single-use token): only a 429, the one answer that
 *   proves nothing was created. `x-should-retry: true` does not override this.
 * - `x-should-retry: false` always stops. A user abort never reaches this function.
 * - Wait: `retry-after-ms` / `Retry-After` when sent (beyond 60 s: no retry, the caller decides),
 *   else 0.5 s × 2^attempt capped at 8 s, ±25 % jitter.
 */
export function retryDelay(
  outcome: AttemptOutcome,
  context: { kind: RequestKind; attempt: number; maxRetries: number; idempotentCreates: boolean },
  random: () => number = Math.random,
): number | undefined {
  if (context.attempt >= context.maxRetries) return undefined;
  const onlyThrottling = context.kind === 'mint' || (context.kind === 'create' && !context.idempotentCreates);
  let askedMs: number | undefined;
  if (outcome.kind === 'response') {
    const { status, headers } = outcome;
    const should = headers.get('x-should-retry');
    if (should === 'false') return undefined;
    const retryable = onlyThrottling
      ? status === 429
      : should === 'true' || status === 408 || status === 429 || status >= 500;
    if (!retryable) return undefined;
    askedMs = retryAfterMs(headers);
  } else if (onlyThrottling) {
    return undefined;
  }
  if (askedMs !== undefined) return askedMs <= RETRY_AFTER_CAP_MS ? askedMs : undefined;
  const backoff = Math.min(BACKOFF_BASE_MS * 2 ** context.attempt, BACKOFF_MAX_MS);
  return backoff * (1 - JITTER + 2 * JITTER * random());
}
