import { APIPromise } from './core/api-promise.js';
import {
  APIConnectionError,
  APIError,
  APITimeoutError,
  APIUserAbortError,
  retryAfterMs,
  VeniceError,
  VeniceValidationError,
} from './core/errors.js';
import { ApiKeys } from './resources/api-keys.js';
import { Billing } from './resources/billing.js';
import { VERSION } from './version.js';

export const DEFAULT_BASE_URL = 'https://api.venice.ai/api/v1';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'off';

export interface Logger {
  debug(message: string, data?: Record<string, unknown>): void;
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

export interface ClientOptions {
  /**
   * The Bearer key. Defaults to `VENICE_API_KEY`; `null` sends no key even when the variable is set
   * (minting a web3 key needs none).
   */
  apiKey?: string | null | undefined;
  /** Defaults to `VENICE_BASE_URL`, else api.venice.ai. A bare origin gets `/api/v1` appended. */
  baseURL?: string | undefined;
  /** Per attempt, in milliseconds. Default 60 000; `Infinity` for none. */
  timeout?: number;
  /** Retries after the first attempt. Default 2. */
  maxRetries?: number;
  /** A fetch implementation (tests, proxies, older runtimes). Default: the global `fetch`. */
  fetch?: typeof fetch;
  /** Sent with every request; per-request `headers` win over them. */
  defaultHeaders?: Record<string, string>;
  /** Receives request, response and retry events; never an Authorization header or a secret. Default `console`. */
  logger?: Logger;
  /** Default `VENICE_LOG`, else `warn` (the SDK logs nothing at `warn`, so it is silent unless asked). */
  logLevel?: LogLevel;
  /** Whether the server replays `POST /api_keys` by Idempotency-Key. Default: every host but api.venice.ai. */
  idempotentCreates?: boolean;
  /** Allows a key that may be an ADMIN key in a browser, where anyone who can open the page can read it. */
  dangerouslyAllowBrowser?: boolean;
}

export interface RequestOptions {
  signal?: AbortSignal;
  /** Overrides the client's `timeout` for this call. */
  timeout?: number;
  /** Overrides the client's `maxRetries` for this call. */
  maxRetries?: number;
  /** Extra headers for this call; they win over `defaultHeaders` and the SDK's own. */
  headers?: Record<string, string>;
  /** For `create`: sent as `Idempotency-Key` (a random UUID when omitted) and reused on every retry. */
  idempotencyKey?: string;
}

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

function readEnv(name: string): string | undefined {
  const g = globalThis as {
    process?: { env?: Record<string, string | undefined> };
    Deno?: { env?: { get(n: string): string | undefined } };
  };
  try {
    return (g.process?.env?.[name] ?? g.Deno?.env?.get(name))?.trim() || undefined;
  } catch {
    return undefined; // Deno without --allow-env
  }
}

function normaliseBaseURL(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new VeniceValidationError(`Invalid baseURL: ${JSON.stringify(raw)} is not an absolute URL`, 'baseURL');
  }
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/api/v1';
  url.search = '';
  url.hash = '';
  return url.toString().replace(/\/+$/, '');
}

const isBrowser = () =>
  typeof (globalThis as { window?: unknown }).window !== 'undefined' &&
  typeof (globalThis as { document?: unknown }).document !== 'undefined';

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, off: 99 };

const SECRET = /VENICE_(?:INFERENCE|ADMIN)_KEY_[A-Za-z0-9]+|Bearer\s+\S+/g;
const SECRET_FIELD = /^(authorization|apikey|signature|token|idempotency-key)$/i;

/** Replaces secrets anywhere in a value about to be logged: secret-bearing fields, and key-shaped strings. */
export function redact(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(SECRET, '[redacted]');
  if (Array.isArray(value)) return value.map(redact);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, SECRET_FIELD.test(k) ? '[redacted]' : redact(v)]),
    );
  }
  return value;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new APIUserAbortError());
    const onAbort = () => {
      clearTimeout(timer);
      reject(new APIUserAbortError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Where `crypto.randomUUID` is missing (browser pages served over plain http), build a v4 UUID by hand. */
function randomUUID(): string {
  const c = globalThis.crypto;
  if (typeof c?.randomUUID === 'function') return c.randomUUID();
  const b = c.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// setTimeout fires at once for delays beyond a signed 32-bit int; such a timeout means "none".
const MAX_TIMER_MS = 2 ** 31 - 1;

function checkOptions(o: { timeout?: number | undefined; maxRetries?: number | undefined }): void {
  if (o.timeout !== undefined && !(typeof o.timeout === 'number' && o.timeout > 0)) {
    throw new VeniceValidationError('Invalid timeout: expected a positive number of milliseconds', 'timeout');
  }
  if (o.maxRetries !== undefined && !(Number.isInteger(o.maxRetries) && o.maxRetries >= 0)) {
    throw new VeniceValidationError('Invalid maxRetries: expected a whole number, 0 or more', 'maxRetries');
  }
}

/**
 * A client for Venice's API-key endpoints, against api.venice.ai or any compatible server.
 *
 * @example
 * const venice = new VeniceClient({ apiKey: process.env.VENICE_API_KEY, baseURL: 'http://127.0.0.1:8787' });
 * const keys = await venice.apiKeys.list();
 */
export class VeniceClient {
  readonly baseURL: string;
  readonly timeout: number;
  readonly maxRetries: number;
  readonly apiKeys: ApiKeys;
  readonly billing: Billing;
  readonly #apiKey: string | undefined;
  readonly #fetch: typeof fetch;
  readonly #defaultHeaders: Record<string, string>;
  readonly #logger: Logger;
  readonly #logLevel: number;
  readonly #idempotentCreates: boolean;

  constructor(options: ClientOptions = {}) {
    checkOptions(options);
    this.#apiKey =
      options.apiKey === null ? undefined : options.apiKey?.trim() || readEnv('VENICE_API_KEY') || undefined;
    this.baseURL = normaliseBaseURL(options.baseURL ?? readEnv('VENICE_BASE_URL') ?? DEFAULT_BASE_URL);
    this.timeout = options.timeout ?? 60_000;
    this.maxRetries = options.maxRetries ?? 2;
    if (!options.fetch && typeof globalThis.fetch !== 'function') {
      throw new VeniceValidationError('No global fetch in this runtime: pass `fetch` in the client options.', 'fetch');
    }
    // Looked up at call time and never called as a method of the client: browsers reject a fetch
    // invoked with a foreign `this` ("Illegal invocation").
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#defaultHeaders = lower(options.defaultHeaders ?? {});
    this.#logger = options.logger ?? (globalThis.console as Logger);
    const level = options.logLevel ?? (readEnv('VENICE_LOG')?.toLowerCase() as LogLevel | undefined) ?? 'warn';
    this.#logLevel = LEVELS[level] ?? LEVELS.warn;
    this.#idempotentCreates = options.idempotentCreates ?? new URL(this.baseURL).hostname !== 'api.venice.ai';
    if (isBrowser() && this.#apiKey && !this.#apiKey.startsWith('VENICE_INFERENCE_KEY_')) {
      if (!options.dangerouslyAllowBrowser) {
        throw new VeniceValidationError(
          'Refusing to use an API key that may be an ADMIN key in a browser, where anyone who opens the page can ' +
            'read it. Call the API from a server, or pass `dangerouslyAllowBrowser: true` if you really mean to.',
          'dangerouslyAllowBrowser',
        );
      }
    }
    this.apiKeys = new ApiKeys(this);
    this.billing = new Billing(this);
  }

  /** Whether a key is configured (the key itself stays private so that logging the client cannot leak it). */
  get hasApiKey(): boolean {
    return this.#apiKey !== undefined;
  }

  #log(level: Exclude<LogLevel, 'off'>, message: string, data: Record<string, unknown>): void {
    if (LEVELS[level] >= this.#logLevel) this.#logger[level](`venice: ${message}`, redact(data) as typeof data);
  }

  /**
   * Sends a request under the retry policy; resources use it, and it serves endpoints the SDK has
   * no method for. `build` runs first: if it throws (local validation), the promise rejects and
   * nothing is sent.
   *
   * @example
   * const body = await venice.request(() => ({ method: 'GET', path: '/api_keys', kind: 'read' }));
   */
  request<T = unknown>(
    build: () => RequestSpec,
    options: RequestOptions = {},
    transform: (body: unknown) => T = (b) => b as T,
  ): APIPromise<T> {
    let response: Promise<Response>;
    let spec: RequestSpec | undefined;
    try {
      spec = build();
      checkOptions(options);
      if (options.idempotencyKey !== undefined && !/^[\x21-\x7e]{1,255}$/.test(options.idempotencyKey)) {
        throw new VeniceValidationError(
          'Invalid idempotencyKey: expected 1 to 255 visible ASCII characters',
          'idempotencyKey',
        );
      }
      response = this.#send(spec, options);
    } catch (e) {
      response = Promise.reject(e);
    }
    return new APIPromise(response, async (r) => {
      const body = await readBody(r);
      this.#log('debug', 'response body', { url: r.url || spec?.path, body });
      return transform(body);
    });
  }

  #url(spec: RequestSpec): string {
    const url = new URL(this.baseURL + spec.path);
    for (const [k, v] of Object.entries(spec.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url.toString();
  }

  async #send(spec: RequestSpec, options: RequestOptions): Promise<Response> {
    const url = this.#url(spec);
    const headers: Record<string, string> = {
      accept: 'application/json',
      'x-venice-sdk': `venice-keys-ts/${VERSION}`,
      ...(this.#apiKey ? { authorization: `Bearer ${this.#apiKey}` } : {}),
      ...(spec.body !== undefined ? { 'content-type': 'application/json' } : {}),
      // Generated once, outside the attempt loop: every retry must carry the same key.
      ...(spec.kind === 'create' ? { 'idempotency-key': options.idempotencyKey ?? randomUUID() } : {}),
      ...this.#defaultHeaders,
      ...lower(options.headers ?? {}),
    };
    const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    const maxRetries = options.maxRetries ?? this.maxRetries;
    const timeout = options.timeout ?? this.timeout;
    const fetchImpl = this.#fetch;
    const { signal } = options;

    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw new APIUserAbortError();
      this.#log('debug', 'request', { method: spec.method, url, attempt, headers, body: spec.body });
      const controller = new AbortController();
      let timedOut = false;
      const timer =
        timeout < MAX_TIMER_MS
          ? setTimeout(() => {
              timedOut = true;
              controller.abort();
            }, timeout)
          : undefined;
      const onAbort = () => controller.abort();
      signal?.addEventListener('abort', onAbort, { once: true });

      let outcome: AttemptOutcome;
      let failure: VeniceError;
      try {
        const response = await fetchImpl(url, { method: spec.method, headers, body, signal: controller.signal });
        const requestID = response.headers.get('x-request-id');
        this.#log('debug', 'response', { method: spec.method, url, status: response.status, requestID });
        if (response.ok) return response;
        // Read inside the attempt, so that the timeout and an abort also cover a slow error body.
        const errorBody = await readErrorBody(response, controller.signal);
        failure = APIError.generate(response.status, errorBody, response.headers);
        outcome = { kind: 'response', status: response.status, headers: response.headers };
      } catch (e) {
        if (signal?.aborted) throw new APIUserAbortError({ cause: e });
        if (timedOut) {
          failure = new APITimeoutError({ cause: e });
          outcome = { kind: 'timeout' };
        } else {
          failure = new APIConnectionError({ cause: e });
          outcome = { kind: 'connection' };
        }
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      }

      const delay = retryDelay(outcome, {
        kind: spec.kind,
        attempt,
        maxRetries,
        idempotentCreates: this.#idempotentCreates,
      });
      if (delay === undefined) {
        // The caller gets the error itself; the log only adds context.
        this.#log('debug', 'request failed', { method: spec.method, url, attempt, error: failure.message });
        throw failure;
      }
      this.#log('info', 'retrying', {
        method: spec.method,
        url,
        attempt,
        delayMs: Math.round(delay),
        error: failure.message,
      });
      await sleep(delay, signal);
    }
  }
}

function lower(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new VeniceError(
      `Expected a JSON response from ${response.url || 'the server'}, got: ${String(redact(text.slice(0, 200)))}`,
      { cause: e },
    );
  }
}

/** The error body, parsed when it is JSON; an unreadable body counts as empty unless it was cut by an abort. */
async function readErrorBody(response: Response, signal: AbortSignal): Promise<unknown> {
  const text = await response.text().catch((e: unknown) => {
    if (signal.aborted) throw e;
    return '';
  });
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return text;
  }
}
