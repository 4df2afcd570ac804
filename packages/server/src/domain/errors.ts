/**
 * The one error type of the server. Domain code throws it with a code from a closed set;
 * `statusOf` in http/status.ts is the only place where codes become HTTP statuses.
 */
export type ErrorCode =
  | 'AUTH_REQUIRED'
  | 'AUTH_FAILED'
  | 'ADMIN_REQUIRED'
  | 'VALIDATION'
  | 'BAD_REQUEST'
  | 'PAYMENT_REQUIRED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'RATE_LIMITED'
  | 'UNAVAILABLE'
  | 'UPSTREAM_FAILED'
  | 'UPSTREAM_TIMEOUT'
  | 'INTERNAL';

export interface AppErrorOptions {
  /** Extra top-level fields of the error body (validation `details` and `issues`). */
  body?: Record<string, unknown>;
  /** For RATE_LIMITED: how long the caller should wait; becomes `Retry-After`. */
  retryAfterMs?: number;
  /** Extra response headers (e.g. the rate-limit headers of a 429). */
  headers?: Record<string, string>;
  cause?: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly body: Record<string, unknown> | undefined;
  readonly retryAfterMs: number | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.body = options.body;
    this.retryAfterMs = options.retryAfterMs;
    this.headers = options.headers;
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;
