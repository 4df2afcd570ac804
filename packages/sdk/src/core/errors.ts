/**
 * The error hierarchy. `APIError` and its subclasses carry what the server answered; the
 * connection errors mean no answer came; `VeniceValidationError` means no request was sent.
 */

export class VeniceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Input the SDK refused before sending anything. */
export class VeniceValidationError extends VeniceError {
  constructor(
    message: string,
    /** The parameter at fault, e.g. `description` or `consumptionLimit.usd`. */
    readonly param: string,
  ) {
    super(message);
  }
}

export class APIError extends VeniceError {
  /** The parsed JSON body, or its text when it was not JSON. */
  readonly body: unknown;
  /** The body's `code` (top level or inside an `error` object), when there is one. */
  readonly code: string | undefined;
  /** The `x-request-id` of the response, for support requests and logs. */
  readonly requestID: string | undefined;

  constructor(
    readonly status: number,
    body: unknown,
    readonly headers: Headers,
  ) {
    super(describeError(status, body));
    this.body = body;
    this.code = codeOf(body);
    this.requestID = headers.get('x-request-id') ?? undefined;
  }

  /** The error class for a status: one place maps statuses to classes. */
  static generate(status: number, body: unknown, headers: Headers): APIError {
    const Class = ERROR_BY_STATUS[status] ?? (status >= 500 ? InternalServerError : APIError);
    return new Class(status, body, headers);
  }
}

export class BadRequestError extends APIError {}
export class AuthenticationError extends APIError {}
export class PaymentRequiredError extends APIError {}
export class PermissionDeniedError extends APIError {}
export class NotFoundError extends APIError {}
export class ConflictError extends APIError {}
export class UnprocessableEntityError extends APIError {}
export class InternalServerError extends APIError {}

export class RateLimitError extends APIError {
  /** How long the server asked us to wait (`retry-after-ms` or `Retry-After`), if it said. */
  readonly retryAfterMs: number | undefined;

  constructor(status: number, body: unknown, headers: Headers) {
    super(status, body, headers);
    this.retryAfterMs = retryAfterMs(headers);
  }
}

const ERROR_BY_STATUS: Record<number, new (status: number, body: unknown, headers: Headers) => APIError> = {
  400: BadRequestError,
  401: AuthenticationError,
  402: PaymentRequiredError,
  403: PermissionDeniedError,
  404: NotFoundError,
  409: ConflictError,
  422: UnprocessableEntityError,
  429: RateLimitError,
};

/** No answer came: the connection failed. */
export class APIConnectionError extends VeniceError {
  constructor(options: { message?: string; cause?: unknown } = {}) {
    super(options.message ?? 'Connection error.', { cause: options.cause });
  }
}

export class APITimeoutError extends APIConnectionError {
  constructor(options: { cause?: unknown } = {}) {
    super({ message: 'Request timed out.', cause: options.cause });
  }
}

/** The caller's AbortSignal fired. Never retried. */
export class APIUserAbortError extends VeniceError {
  constructor(options: { cause?: unknown } = {}) {
    super('Request was aborted.', options);
  }
}

/** `retry-after-ms`, else `Retry-After` in seconds or as an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(headers: Headers, now: number = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '' && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function codeOf(body: unknown): string | undefined {
  if (!isObject(body)) return undefined;
  if (isObject(body.error) && typeof body.error.code === 'string') return body.error.code;
  return typeof body.code === 'string' ? body.code : undefined;
}

/** `path: message` for the first few validation issues, from zod's flat `issues` or its `details` tree. */
function problems(body: Json): string[] {
  if (Array.isArray(body.issues) && body.issues.length > 0) {
    return body.issues.map((i) => {
      const issue = isObject(i) ? i : {};
      const path = Array.isArray(issue.path) && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
      return `${path}${String(issue.message ?? 'invalid')}`;
    });
  }
  const found: string[] = [];
  const walk = (node: unknown, path: string[]): void => {
    if (!isObject(node)) return;
    for (const m of Array.isArray(node._errors) ? node._errors : []) {
      found.push(`${path.length > 0 ? `${path.join('.')}: ` : ''}${String(m)}`);
    }
    for (const [k, v] of Object.entries(node)) if (k !== '_errors') walk(v, [...path, k]);
  };
  walk(body.details, []);
  return found;
}

const SHOWN_PROBLEMS = 3;

/** A readable message from every error body shape Venice uses. */
function describeError(status: number, body: unknown): string {
  let message: string | undefined;
  if (isObject(body)) {
    const e = body.error;
    if (typeof e === 'string') message = e;
    else if (isObject(e)) message = [e.message, e.detail].find((m): m is string => typeof m === 'string');
    message ??= [body.message, body.detail].find((m): m is string => typeof m === 'string');
    const found = problems(body);
    if (found.length > 0) {
      const more = found.length > SHOWN_PROBLEMS ? ` (+${found.length - SHOWN_PROBLEMS} more)` : '';
      message = `${message ?? 'Invalid request'} (${found.slice(0, SHOWN_PROBLEMS).join('; ')}${more})`;
    }
    message ??= JSON.stringify(body).slice(0, 500);
  } else if (typeof body === 'string' && body.trim() !== '') {
    message = body.trim().slice(0, 500);
  } else if (body !== undefined && body !== null) {
    message = JSON.stringify(body).slice(0, 500);
  }
  return `${status} ${message ?? 'status code (no body)'}`;
}
